//! The functions invoked as Lambda invokes them: `cargo lambda watch --only-lambda-apis` is the
//! Lambda Runtime API, and every function runs the same built file (`target/debug/latch-lambda`,
//! the one bootstrap, told its function by `LATCH_FUNCTION`) as Lambda runs a `provided.al2023`
//! bootstrap, and `cargo lambda invoke --data-file` sends each
//! event, on DynamoDB, SQS, SES and Secrets Manager in moto: register, mail-sender (on the SQS
//! event of the queued mail), verify-email (with the mailed token), login, me, refresh and
//! unlock-accounts. Every answer is checked.
//!
//! `#[ignore]`d in the default run (it needs cargo-lambda and the bootstrap built): run it with
//! `scripts/lambda-smoke.sh`, which installs cargo-lambda into `.venv-lambda` and builds it.

use crate::support::lambda::{Lambda, Stack, http, root};
use crate::support::moto;
use serde_json::{Value, json};

#[tokio::test]
#[ignore = "builds and runs every function binary: scripts/lambda-smoke.sh"]
async fn the_function_binaries_answer_as_lambda_invokes_them() {
    let mut stack = Stack::on(&moto::moto().endpoint).await;
    for (name, value) in [
        ("LATCH_ARGON2_M_KIB", "1024"),
        ("LATCH_ARGON2_T", "1"),
        ("LATCH_ARGON2_P", "1"),
    ] {
        stack.set(name, value);
    }
    let sqs = aws_sdk_sqs::Client::new(&stack.aws);
    let queue = stack.queue_url.clone();
    let mut lambda = Lambda::start(stack.env.clone()).await;
    for name in [
        "register",
        "mail-sender",
        "verify-email",
        "login",
        "me",
        "refresh",
        "unlock-accounts",
    ] {
        lambda.run(name);
    }

    // register: 202, and the verification mail waits in the queue, not in SES.
    let register = root().join("events/register.202-new-address.json");
    let (status, body) = http(&lambda.invoke("register", &register));
    assert_eq!(status, 202, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("If this address")
    );
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 1, "register enqueued its mail");

    // mail-sender on the SQS event of that message: nothing reported, the mail is in SES.
    let records: Vec<Value> = received
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": m.md5_of_body(), "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:smoke", "awsRegion": "us-east-1"
            })
        })
        .collect();
    let batch = lambda.event("mail-sender.sqs-batch.json", |e| {
        e["Records"] = json!(records)
    });
    assert_eq!(
        lambda.invoke("mail-sender", &batch),
        json!({"batchItemFailures": []})
    );
    let mail = moto::sent_mail().await;
    let mail = mail
        .iter()
        .find(|m| m["destinations"]["ToAddresses"][0] == "new.user@example.com")
        .expect("the verification mail went out through SES");
    let token = crate::support::token_in(mail["body"].as_str().unwrap());

    // verify-email with the mailed token.
    let verify = lambda.event("verify-email.400-unknown-token.json", |e| {
        e["rawQueryString"] = json!(format!("token={token}"));
        e["queryStringParameters"] = json!({ "token": token });
    });
    let (status, body) = http(&lambda.invoke("verify-email", &verify));
    assert_eq!((status, body), (200, json!({"verified": true})));

    // login, me, refresh.
    let login = lambda.event("login.401-unknown-user.json", |e| {
        e["body"] = json!(
            json!({"email": "new.user@example.com", "password": "violet-tractor-harbour-19"})
                .to_string()
        );
    });
    let (status, tokens) = http(&lambda.invoke("login", &login));
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["accessToken"].as_str().unwrap();
    let me = lambda.event("me.401-no-token.json", |e| {
        e["headers"]["authorization"] = json!(format!("Bearer {access}"));
    });
    let (status, me) = http(&lambda.invoke("me", &me));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "new.user@example.com");
    assert_eq!(me["emailVerified"], true);
    let refresh = lambda.event("refresh.401-unknown-token.json", |e| {
        e["body"] = json!(json!({"refreshToken": tokens["refreshToken"]}).to_string());
    });
    let (status, renewed) = http(&lambda.invoke("refresh", &refresh));
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(
        renewed["refreshToken"], tokens["refreshToken"],
        "the refresh token rotates"
    );

    // unlock-accounts on its scheduled event: no lock to lift.
    let unlock = root().join("events/unlock-accounts.scheduled.json");
    assert_eq!(
        lambda.invoke("unlock-accounts", &unlock),
        json!({"unlocked": 0})
    );
}
