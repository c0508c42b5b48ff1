//! Forged and altered access tokens, through the API: each must end in 401 `invalid_token`.

use crate::support::{TestApp, spawn_app};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latch_core::crypto::{AccessClaims, KeyRing, SecretMaterial};
use reqwest::StatusCode;
use serde_json::Value;

/// A signed-in user's token and its claims, signed by the app's own key.
async fn genuine(app: &TestApp) -> (String, AccessClaims) {
    let (_, tokens) = app.signed_in().await;
    let token = tokens["accessToken"].as_str().unwrap().to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let claims: AccessClaims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(app.me(&token).await.status, StatusCode::OK);
    (token, claims)
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = spawn_app().await;
    let (token, claims) = genuine(&app).await;
    let header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        kid_of(&token)
    ));
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    for forged in [format!("{header}.{body}."), format!("{header}.{body}")] {
        app.me(&forged).await.assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn hs256_keyed_with_the_public_jwk_is_refused() {
    let app = spawn_app().await;
    let (token, claims) = genuine(&app).await;
    let jwks: Value = app.get("/.well-known/jwks.json").await.body;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid_of(&token));
    for secret in [
        jwks["keys"][0].to_string(),
        jwks["keys"][0]["x"].as_str().unwrap().to_owned(),
    ] {
        let forged = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        app.me(&forged).await.assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn a_key_we_do_not_publish_is_refused() {
    let app = spawn_app().await;
    let (_, claims) = genuine(&app).await;
    let stranger =
        KeyRing::from_material(&SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap())
            .unwrap();
    app.me(&stranger.sign_access(&claims).unwrap())
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn wrong_issuer_audience_and_stale_times_are_refused_even_with_our_key() {
    let app = spawn_app().await;
    let (_, claims) = genuine(&app).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases: Vec<(&str, AccessClaims)> = vec![
        (
            "wrong iss",
            AccessClaims {
                iss: "https://evil.example".into(),
                ..claims.clone()
            },
        ),
        (
            "wrong aud",
            AccessClaims {
                aud: "another-app".into(),
                ..claims.clone()
            },
        ),
        (
            "expired beyond the skew",
            AccessClaims {
                iat: now - 2000,
                nbf: now - 2000,
                exp: now - 121,
                ..claims.clone()
            },
        ),
        (
            "not yet valid",
            AccessClaims {
                nbf: now + 600,
                iat: now + 600,
                exp: now + 1500,
                ..claims.clone()
            },
        ),
        (
            "another session",
            AccessClaims {
                sid: "01KAAAAAAAAAAAAAAAAAAAAAAA".into(),
                ..claims.clone()
            },
        ),
        (
            "another user",
            AccessClaims {
                sub: "01KAAAAAAAAAAAAAAAAAAAAAAA".into(),
                ..claims.clone()
            },
        ),
    ];
    for (name, forged) in cases {
        let token = app.deps.keys.ring().unwrap().sign_access(&forged).unwrap();
        let res = app.me(&token).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {}", res.body);
        assert_eq!(res.body["code"], "invalid_token", "{name}");
    }
    let within_skew = AccessClaims {
        exp: now - 60,
        ..claims.clone()
    };
    assert_eq!(
        app.me(&app
            .deps
            .keys
            .ring()
            .unwrap()
            .sign_access(&within_skew)
            .unwrap())
            .await
            .status,
        StatusCode::OK,
        "60 s past exp is inside the skew"
    );
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let app = spawn_app().await;
    let (token, mut claims) = genuine(&app).await;
    claims.roles = vec!["ADMIN".into()];
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    app.me(&parts.join("."))
        .await
        .assert_problem(401, "invalid_token");
    app.me(&format!("{token}x"))
        .await
        .assert_problem(401, "invalid_token");
    app.me(&token[..token.len() - 10])
        .await
        .assert_problem(401, "invalid_token");
    app.me(&"a.b.c".repeat(1000))
        .await
        .assert_problem(401, "invalid_token");
}
