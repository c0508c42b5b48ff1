//! Refresh rotation with reuse detection, session binding, and the session routes.

use crate::support::{Reply, STRONG_PASSWORD, s, spawn_app, spawn_app_on, spawn_app_with};
use latch_core::domain::AuditType;
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn refresh_rotates_and_the_new_pair_works() {
    let app = spawn_app().await;
    let (_, first) = app.signed_in().await;
    let second = app.refresh(&s(&first, "refreshToken")).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(s(&second.body, "refreshToken"), s(&first, "refreshToken"));
    assert_eq!(second.body["tokenType"], "Bearer");
    assert_eq!(
        app.me(&s(&second.body, "accessToken")).await.status,
        StatusCode::OK
    );
    let third = app.refresh(&s(&second.body, "refreshToken")).await;
    assert_eq!(
        third.status,
        StatusCode::OK,
        "a rotated token rotates again"
    );
}

#[tokio::test]
async fn forged_truncated_and_access_tokens_are_not_refresh_tokens() {
    let app = spawn_app().await;
    let (_, first) = app.signed_in().await;
    let token = s(&first, "refreshToken");
    let forged = format!(
        "{}{}",
        &token[..42],
        if token.ends_with('A') { 'B' } else { 'A' }
    );
    for bad in [
        forged.as_str(),
        &token[..30],
        &s(&first, "accessToken"),
        "",
        "%%%",
    ] {
        app.refresh(bad).await.assert_problem(401, "invalid_token");
    }
    assert_eq!(app.refresh(&token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_ip_binding_can_be_switched_off() {
    let app = spawn_app_with(
        &[
            ("LATCH_TRUST_PROXY", "true"),
            ("LATCH_SESSION_BIND_IP", "false"),
        ],
        None,
    )
    .await;
    let (_, tokens) = app.signed_in().await;
    let res = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&serde_json::json!({"refreshToken": s(&tokens, "refreshToken")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_idle_session_cannot_be_refreshed() {
    let (app, clock) = spawn_app_on(&[("LATCH_SESSION_IDLE_S", "1")], None).await;
    let (_, tokens) = app.signed_in().await;
    clock.advance(time::Duration::seconds(2));
    app.refresh(&s(&tokens, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn sessions_are_listed_with_the_current_one_marked() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let first = app.login(&email, STRONG_PASSWORD).await.body;
    let second = app.login(&email, STRONG_PASSWORD).await.body;
    let list = app
        .bearer(Method::GET, "/v1/auth/sessions", &s(&second, "accessToken"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(list.body["nextCursor"], Value::Null);
    assert_eq!(items.iter().filter(|i| i["current"] == true).count(), 1);
    assert_eq!(items[0]["current"], true, "newest first");
    assert_eq!(items[0]["ipPrefix"], "127.0.0.0/24");
    assert_eq!(items[0]["userAgent"], crate::support::UA);
    let _ = first;
}

#[tokio::test]
async fn revoking_a_session_stops_its_tokens_and_other_users_sessions_are_404() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let phone = app.login(&email, STRONG_PASSWORD).await.body;
    let laptop = app.login(&email, STRONG_PASSWORD).await.body;
    let (_, stranger) = app.signed_in().await;
    let list = app
        .bearer(Method::GET, "/v1/auth/sessions", &s(&laptop, "accessToken"))
        .await;
    let phone_id = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let idor = app
        .bearer(
            Method::DELETE,
            &format!("/v1/auth/sessions/{phone_id}"),
            &s(&stranger, "accessToken"),
        )
        .await;
    idor.assert_problem(404, "not_found");
    assert_eq!(
        app.me(&s(&phone, "accessToken")).await.status,
        StatusCode::OK,
        "a stranger revoked nothing"
    );
    for bad in ["01KAAAAAAAAAAAAAAAAAAAAAAA", "not-an-id", "..%2F..%2Fetc"] {
        app.bearer(
            Method::DELETE,
            &format!("/v1/auth/sessions/{bad}"),
            &s(&laptop, "accessToken"),
        )
        .await
        .assert_problem(404, "not_found");
    }

    let gone = app
        .bearer(
            Method::DELETE,
            &format!("/v1/auth/sessions/{phone_id}"),
            &s(&laptop, "accessToken"),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    app.me(&s(&phone, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.refresh(&s(&phone, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(
        app.me(&s(&laptop, "accessToken")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.audited(AuditType::SessionRevoked).await, 1);
}

#[tokio::test]
async fn logout_ends_this_session_only() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let one = app.login(&email, STRONG_PASSWORD).await.body;
    let two = app.login(&email, STRONG_PASSWORD).await.body;
    let res = Reply::of(
        app.client
            .post(app.url("/v1/auth/logout"))
            .bearer_auth(s(&one, "accessToken"))
            .json(&serde_json::json!({"refreshToken": s(&one, "refreshToken")}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    app.me(&s(&one, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.refresh(&s(&one, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(app.me(&s(&two, "accessToken")).await.status, StatusCode::OK);
    let bodiless = app
        .bearer(Method::POST, "/v1/auth/logout", &s(&two, "accessToken"))
        .await;
    assert_eq!(
        bodiless.status,
        StatusCode::NO_CONTENT,
        "the body is optional"
    );
    assert_eq!(app.audited(AuditType::Logout).await, 2);
}

#[tokio::test]
async fn logout_all_ends_every_session_at_once() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(app.login(&email, STRONG_PASSWORD).await.body);
    }
    assert_eq!(
        app.bearer(
            Method::POST,
            "/v1/auth/logout-all",
            &s(&tokens[0], "accessToken")
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    for t in &tokens {
        app.me(&s(t, "accessToken"))
            .await
            .assert_problem(401, "invalid_token");
        app.refresh(&s(t, "refreshToken"))
            .await
            .assert_problem(401, "invalid_token");
    }
    let fresh = app.login(&email, STRONG_PASSWORD).await.body;
    assert_eq!(
        app.me(&s(&fresh, "accessToken")).await.status,
        StatusCode::OK,
        "a new login after logout-all works"
    );
    let list = app
        .bearer(Method::GET, "/v1/auth/sessions", &s(&fresh, "accessToken"))
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "revoked sessions are not listed"
    );
}

#[tokio::test]
async fn active_sessions_come_a_page_at_a_time_with_cursors_sealed_to_their_owner() {
    for (app, _clock) in crate::support::on_both_stores(&[]).await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let mut others = Vec::new();
        for _ in 0..4 {
            let login = app.login(&email, STRONG_PASSWORD).await;
            others.push(s(&login.body, "accessToken"));
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        // Two of them end: the list shows the three active ones only.
        for ended in &others[..2] {
            let res = app
                .call(Method::POST, "/v1/auth/logout", Some(ended), None)
                .await;
            assert_eq!(res.status, StatusCode::NO_CONTENT);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let path = match &cursor {
                Some(c) => format!("/v1/auth/sessions?limit=1&cursor={c}"),
                None => "/v1/auth/sessions?limit=1".to_owned(),
            };
            let page = app.bearer(Method::GET, &path, &access).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let items = page.body["items"].as_array().unwrap();
            assert!(items.len() <= 1);
            seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            match page.body["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 3, "active sessions only: {seen:?}");
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 3, "none twice");
        let first = app
            .bearer(Method::GET, "/v1/auth/sessions?limit=1", &access)
            .await;
        let mine = first.body["nextCursor"].as_str().unwrap().to_owned();
        let (_, stranger) = app.signed_in().await;
        let theirs = app
            .bearer(
                Method::GET,
                &format!("/v1/auth/sessions?cursor={mine}"),
                &s(&stranger, "accessToken"),
            )
            .await;
        theirs.assert_problem(400, "bad_request");
        app.bearer(Method::GET, "/v1/auth/sessions?limit=500", &access)
            .await
            .assert_problem(422, "validation_failed");
    }
}
