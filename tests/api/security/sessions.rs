//! Attacks on sessions: replaying spent refresh tokens, racing them, and using tokens from
//! outside the session's binding.

use crate::support::{Reply, STRONG_PASSWORD, s, spawn_app, spawn_app_with};
use latch_core::domain::AuditType;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn a_spent_token_replayed_within_the_grace_only_answers_token_reused() {
    let app = spawn_app().await;
    let (_, first) = app.signed_in().await;
    let second = app.refresh(&s(&first, "refreshToken")).await;
    app.refresh(&s(&first, "refreshToken"))
        .await
        .assert_problem(401, "token_reused");
    assert_eq!(
        app.refresh(&s(&second.body, "refreshToken")).await.status,
        StatusCode::OK,
        "the session survives a retry"
    );
    assert_eq!(app.audited(AuditType::TokenReuseDetected).await, 0);
}

#[tokio::test]
async fn a_spent_token_replayed_after_the_grace_revokes_the_whole_session() {
    let app = spawn_app_with(&[("LATCH_REFRESH_REUSE_GRACE_S", "0")], None).await;
    let (_, first) = app.signed_in().await;
    let second = app.refresh(&s(&first, "refreshToken")).await;
    let stolen = app.refresh(&s(&first, "refreshToken")).await;
    stolen.assert_problem(401, "token_reused");
    assert_eq!(
        stolen.header("www-authenticate"),
        "Bearer error=\"invalid_token\""
    );
    app.refresh(&s(&second.body, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.me(&s(&second.body, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(app.audited(AuditType::TokenReuseDetected).await, 1);
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_have_exactly_one_winner() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    // Several rounds of eight racers: the losers may read the token before or after the
    // winner's rotation, and neither may cost the winner its session.
    for _ in 0..5 {
        let first = app.login(&email, STRONG_PASSWORD).await.body;
        let token = s(&first, "refreshToken");
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/v1/auth/refresh"),
                token.clone(),
            );
            tasks.spawn(async move {
                Reply::of(
                    client
                        .post(url)
                        .json(&serde_json::json!({"refreshToken": token}))
                        .send()
                        .await
                        .unwrap(),
                )
                .await
            });
        }
        let mut winners = Vec::new();
        while let Some(res) = tasks.join_next().await {
            let res = res.unwrap();
            if res.status == StatusCode::OK {
                winners.push(res);
            } else {
                res.assert_problem(401, "token_reused");
            }
        }
        assert_eq!(winners.len(), 1);
        assert_eq!(
            app.refresh(&s(&winners[0].body, "refreshToken"))
                .await
                .status,
            StatusCode::OK,
            "the winner's session lives on"
        );
    }
}

#[tokio::test]
async fn a_refresh_from_another_user_agent_or_network_revokes_the_session() {
    let app = spawn_app_with(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let login = |ip: &'static str| {
        let app = &app;
        async move {
            let email = app.verified_user().await;
            let res = app
                .client
                .post(app.url("/v1/auth/login"))
                .header("x-forwarded-for", ip)
                .json(&serde_json::json!({"email": email, "password": STRONG_PASSWORD}))
                .send()
                .await
                .unwrap();
            Reply::of(res).await.body
        }
    };
    let refresh_from = |ip: &'static str, ua: &'static str, token: String| {
        let app = &app;
        async move {
            let client = reqwest::Client::builder().user_agent(ua).build().unwrap();
            Reply::of(
                client
                    .post(app.url("/v1/auth/refresh"))
                    .header("x-forwarded-for", ip)
                    .json(&serde_json::json!({"refreshToken": token}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let a = login("198.51.100.20").await;
    let same_net = refresh_from("198.51.100.99", crate::support::UA, s(&a, "refreshToken")).await;
    assert_eq!(
        same_net.status,
        StatusCode::OK,
        "same /24 is inside the binding"
    );
    let b = login("198.51.100.20").await;
    refresh_from("203.0.113.7", crate::support::UA, s(&b, "refreshToken"))
        .await
        .assert_problem(401, "session_binding_mismatch");
    app.me(&s(&b, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    let c = login("198.51.100.20").await;
    refresh_from("198.51.100.20", "Other/1", s(&c, "refreshToken"))
        .await
        .assert_problem(401, "session_binding_mismatch");
    assert_eq!(app.audited(AuditType::SessionBindingMismatch).await, 2);
}

#[tokio::test]
async fn me_refuses_missing_forged_and_other_client_tokens() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let access = tokens["accessToken"].as_str().unwrap();

    let none =
        crate::support::Reply::of(app.client.get(app.url("/v1/auth/me")).send().await.unwrap())
            .await;
    none.assert_problem(401, "invalid_token");
    assert_eq!(
        none.header("www-authenticate"),
        "Bearer error=\"invalid_token\""
    );

    let mut tampered = access.to_owned();
    tampered.insert(tampered.find('.').unwrap() + 5, 'x');
    app.me(&tampered).await.assert_problem(401, "invalid_token");
    app.me(tokens["refreshToken"].as_str().unwrap())
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(app.me(access).await.status, StatusCode::OK);

    // Another User-Agent: refused, and the session is revoked for its owner too.
    let res = app
        .call_as(
            "SomethingElse/9",
            Method::GET,
            "/v1/auth/me",
            Some(access),
            None,
        )
        .await;
    res.assert_problem(401, "session_binding_mismatch");
    app.me(access).await.assert_problem(401, "invalid_token");
}
