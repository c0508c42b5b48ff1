//! Logs: one JSON line per request naming the route template and a keyed hash of the user, and
//! never a password, token, code or email address in any line.

use crate::support::{Reply, STRONG_PASSWORD, logs, spawn_app, token_in};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn no_secret_of_a_whole_flow_reaches_the_logs() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", crate::support::moto::unique("logged"));
    let wrong = "wrong-but-secret-password-7431";
    let second = "second-secret-passphrase-9182";
    app.register(&email, STRONG_PASSWORD).await;
    let verification = token_in(&app.mail_to(&email, "verification")[0]);
    app.verify_email(&verification).await;
    app.login(&email, wrong).await;
    let tokens = app.login(&email, STRONG_PASSWORD).await.body;
    let access = tokens["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&access).await.status, StatusCode::OK);
    let rotated = app
        .refresh(tokens["refreshToken"].as_str().unwrap())
        .await
        .body;
    app.post_json("/v1/auth/forgot-password", &json!({ "email": email }))
        .await;
    let reset_mail = &app.mail_to(&email, "password_reset")[0];
    let start = reset_mail.find("reset-password?token=").unwrap() + "reset-password?token=".len();
    let reset_token: String = reset_mail[start..].chars().take(43).collect();
    let change = json!({ "currentPassword": STRONG_PASSWORD, "newPassword": second });
    let res = Reply::of(
        app.client
            .post(app.url("/v1/auth/change-password"))
            .bearer_auth(rotated["accessToken"].as_str().unwrap())
            .json(&change)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    app.bearer(
        Method::POST,
        "/v1/auth/logout",
        rotated["accessToken"].as_str().unwrap(),
    )
    .await;

    let traced = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    app.client
        .get(app.url("/v1/health"))
        .header("x-amzn-trace-id", traced)
        .send()
        .await
        .unwrap();

    let log = logs::captured();
    let secrets = [
        STRONG_PASSWORD,
        wrong,
        second,
        email.as_str(),
        verification.as_str(),
        reset_token.as_str(),
        access.as_str(),
        tokens["refreshToken"].as_str().unwrap(),
        rotated["refreshToken"].as_str().unwrap(),
        rotated["accessToken"].as_str().unwrap(),
    ];
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "a secret reached the logs: {}…",
            &secret[..6]
        );
    }
    // The lines are there: JSON, one per request, the route template instead of the raw path.
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "latch::request")
        .collect();
    assert!(
        requests
            .iter()
            .any(|l| l["route"] == "/v1/auth/verify-email" && l["status"] == 200)
    );
    assert!(
        !log.contains("verify-email?token"),
        "no query string in any line"
    );
    let user_hashes: Vec<&str> = requests
        .iter()
        .filter(|l| l["route"] == "/v1/auth/me")
        .filter_map(|l| l["user"].as_str())
        .filter(|u| *u != "-")
        .collect();
    assert!(
        !user_hashes.is_empty(),
        "authenticated requests name the user by keyed hash"
    );
    assert!(
        user_hashes
            .iter()
            .all(|h| h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit()))
    );
    for line in &requests {
        for field in [
            "requestId",
            "method",
            "route",
            "status",
            "latencyMs",
            "user",
        ] {
            assert!(
                line.get(field).is_some(),
                "request line lacks {field}: {line}"
            );
        }
    }
}
