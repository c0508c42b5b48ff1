//! Writes that landed but whose answers were lost: the request left, the deadline fired. The
//! SDK's retry of the same call recognises its own landed attempt; when every answer is lost,
//! the client's retry gets the contract's answer and the state is whole.

use super::{assert_bounded_503, faulty, timed};
use crate::support::{STRONG_PASSWORD, moto, reset_token, s, token_in};

const NEW_PASSWORD: &str = "quartz-lantern-meadow-73";

#[tokio::test]
async fn each_write_whose_first_answer_was_lost_is_recognised_by_the_sdk_retry() {
    let f = faulty(&[], false).await;
    let (app, proxy) = (&f.app, &f.proxy);
    let email = format!("{}@example.com", moto::unique("lost"));

    // Registration: the account, its claim and its link were written once; the link went out.
    proxy.lose_answers("TransactWriteItems", 1);
    assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
    let links = app.mail_to(&email, "verification");
    assert_eq!(
        links.len(),
        1,
        "the registration counts as made, not as taken"
    );
    assert!(app.mail_to(&email, "registration_attempt").is_empty());

    proxy.lose_answers("TransactWriteItems", 1);
    let verified = app.verify_email(&token_in(&links[0])).await;
    assert_eq!(verified.status, 200, "{}", verified.body);

    // Login: the session was created once, and an audit append whose answer was lost too.
    proxy.lose_answers("TransactWriteItems", 1);
    proxy.lose_answers("PutItem", 1);
    let tokens = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(app.me(&s(&tokens.body, "accessToken")).await.status, 200);

    // Refresh: the rotation landed once and its answer is the new pair.
    proxy.lose_answers("TransactWriteItems", 1);
    let next = app.refresh(&s(&tokens.body, "refreshToken")).await;
    assert_eq!(next.status, 200, "{}", next.body);
    let after = app.refresh(&s(&next.body, "refreshToken")).await;
    assert_eq!(after.status, 200, "the pair it answered is the live one");

    // Reset: the new password and the spent token landed together.
    let token = app.fresh_reset_token(&email).await;
    proxy.lose_answers("TransactWriteItems", 1);
    let reset = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, 200);
    app.reset_password(&token, NEW_PASSWORD)
        .await
        .assert_problem(400, "invalid_token");
}

#[tokio::test]
async fn a_refresh_whose_every_answer_was_lost_is_taken_for_a_retry_within_the_grace() {
    let f = faulty(&[], false).await;
    let (email, tokens) = f.app.signed_in().await;
    let (access, refresh) = (s(&tokens, "accessToken"), s(&tokens, "refreshToken"));

    f.proxy.lose_answers("TransactWriteItems", 2);
    let (reply, took) = timed(f.app.refresh(&refresh)).await;
    assert_bounded_503(&reply, took, "refresh");

    // The rotation did land: the retry is a spent token within the grace, and only that.
    f.app
        .refresh(&refresh)
        .await
        .assert_problem(401, "token_reused");
    assert_eq!(f.app.me(&access).await.status, 200, "the session lives on");
    assert_eq!(f.app.login(&email, STRONG_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_registration_whose_every_answer_was_lost_is_there_once_and_can_be_finished() {
    let f = faulty(&[], false).await;
    let email = format!("{}@example.com", moto::unique("lost"));

    f.proxy.lose_answers("TransactWriteItems", 2);
    let (reply, took) = timed(f.app.register(&email, STRONG_PASSWORD)).await;
    assert_bounded_503(&reply, took, "register");

    // The retry answers as for any known address; the account exists once, unverified.
    assert_eq!(f.app.register(&email, STRONG_PASSWORD).await.status, 202);
    assert_eq!(f.app.mail_to(&email, "registration_attempt").len(), 1);
    f.app
        .login(&email, STRONG_PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
    let resend = f
        .app
        .post_json(
            "/v1/auth/resend-verification",
            &serde_json::json!({ "email": email }),
        )
        .await;
    assert_eq!(resend.status, 202);
    let link = f.app.mail_to(&email, "confirm_and_set_password");
    let token = reset_token(link.last().expect("a set-your-password link"));
    assert_eq!(f.app.reset_password(&token, NEW_PASSWORD).await.status, 204);
    assert_eq!(f.app.login(&email, NEW_PASSWORD).await.status, 200);
}
