//! The mail queue on moto, end to end: a route enqueues (`LATCH_MAIL=sqs`), `mail-sender` runs
//! on the SQS event as Lambda's event source mapping hands it over, and the mail is in SES's
//! sent mail; an unknown address enqueues a rehearsal of the same size that nothing sends; a
//! poison message ends in the dead-letter queue, and a mail SES refuses is offered again.

use crate::support::{STRONG_PASSWORD, moto, spawn_app_with, token_in};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use latch_functions::mail_sender::{self, BatchResponse, SqsEvent};
use reqwest::StatusCode;

struct Queues {
    sqs: Client,
    url: String,
    arn: String,
    dead_letters: String,
}

/// A queue with its dead-letter queue after `max_receives`; a message not deleted is visible
/// again at once (a visibility timeout of 0), so the test need not wait for retries.
async fn queues(max_receives: u32) -> Queues {
    let aws = moto::aws().await;
    let sqs = Client::new(&aws);
    let dead_letters = moto::queue(&aws, "mail-dlq").await;
    let dlq_arn = arn_of(&sqs, &dead_letters).await;
    let url = sqs
        .create_queue()
        .queue_name(moto::unique("mail"))
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = arn_of(&sqs, &url).await;
    Queues {
        sqs,
        url,
        arn,
        dead_letters,
    }
}

async fn arn_of(sqs: &Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone()
}

/// The bodies waiting on `url`, left there (visible again at once).
async fn peek(sqs: &Client, url: &str) -> Vec<String> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    out.messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

/// Lambda's event source mapping, played by the test: one batch received, handed to
/// `mail-sender` as the SQS event Lambda builds, and every message it did not report deleted.
/// `None` when the queue was empty.
async fn poll(q: &Queues, mailer: &dyn latch_core::ports::Mailer) -> Option<BatchResponse> {
    let out = q
        .sqs
        .receive_message()
        .queue_url(&q.url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return None;
    }
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764633600000"},
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": q.arn,
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    let event: SqsEvent =
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
    let response = mail_sender::handle(mailer, event).await;
    for m in &messages {
        let id = m.message_id().unwrap();
        if !response
            .batch_item_failures
            .iter()
            .any(|f| f.item_identifier == id)
        {
            q.sqs
                .delete_message()
                .queue_url(&q.url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    Some(response)
}

fn sent_to(mail: &[serde_json::Value], to: &str) -> Vec<serde_json::Value> {
    mail.iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .cloned()
        .collect()
}

async fn sender(aws: &aws_config::SdkConfig, prefix: &str) -> latch_core::adapters::ses::SesMailer {
    let from = moto::verified_sender(aws, prefix).await;
    let config = latch_core::config::Config::from_lookup(|k| match k {
        "LATCH_MAIL_FROM" => Some(format!("Latch <{from}>")),
        _ => None,
    })
    .unwrap();
    latch_core::wiring::queue_sender(&config, Some(aws.clone()))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_route_enqueues_and_mail_sender_sends_it_through_ses_and_rehearsals_go_nowhere() {
    let aws = moto::aws().await;
    let q = queues(3).await;
    let app = spawn_app_with(
        &[("LATCH_MAIL", "sqs"), ("LATCH_MAIL_QUEUE_URL", &q.url)],
        Some(aws.clone()),
    )
    .await;
    let mailer = sender(&aws, "queue").await;

    let email = format!("{}@example.com", moto::unique("q"));
    assert_eq!(
        app.register(&email, STRONG_PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        peek(&q.sqs, &q.url).await.len(),
        1,
        "register enqueued one mail"
    );
    assert!(
        sent_to(&moto::sent_mail().await, &email).is_empty(),
        "nothing reached SES before mail-sender ran"
    );
    let response = poll(&q, &mailer).await.expect("a batch");
    assert!(response.batch_item_failures.is_empty());
    assert!(
        poll(&q, &mailer).await.is_none(),
        "the sent message was deleted"
    );
    let mail = sent_to(&moto::sent_mail().await, &email);
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["subject"], "Confirm your email address");
    let token = token_in(mail[0]["body"].as_str().unwrap());
    assert_eq!(app.verify_email(&token).await.status, StatusCode::OK);

    // forgot-password: a known and an unknown address of the same length enqueue one message
    // each, of the same size; only the known one's is sent.
    let unknown = format!("{}@example.com", moto::unique("u"));
    assert_eq!(unknown.len(), email.len());
    for who in [&email, &unknown] {
        assert_eq!(app.forgot_password(who).await.status, StatusCode::ACCEPTED);
    }
    let waiting = peek(&q.sqs, &q.url).await;
    assert_eq!(waiting.len(), 2, "one enqueue each");
    assert_eq!(waiting[0].len(), waiting[1].len(), "of the same size");
    assert!(waiting.iter().all(|b| !b.contains(&unknown)));
    // Other tests share the emulator: only this test's addresses are counted.
    let before = sent_to(&moto::sent_mail().await, &email).len();
    let mut batches = 0;
    while let Some(response) = poll(&q, &mailer).await {
        assert!(response.batch_item_failures.is_empty());
        batches += 1;
    }
    assert!(batches >= 1);
    let after = moto::sent_mail().await;
    assert_eq!(
        sent_to(&after, &email).len(),
        before + 1,
        "one reset mail, and the rehearsal sent nothing"
    );
    assert_eq!(
        sent_to(&after, &email).last().unwrap()["subject"],
        "Reset your password"
    );
    assert!(sent_to(&after, &unknown).is_empty());
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue_and_the_good_ones_go_out_once() {
    let aws = moto::aws().await;
    let q = queues(2).await;
    let mailer = sender(&aws, "poison").await;
    let good = latch_core::domain::Mail::password_changed(
        latch_core::domain::Email::parse(&format!("{}@example.com", moto::unique("g"))).unwrap(),
    );
    for body in [
        latch_core::domain::queued_mail::QueuedMail::body(&good),
        "{\"type\":\"mail\",\"to\":\"broken".to_owned(),
    ] {
        q.sqs
            .send_message()
            .queue_url(&q.url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let mut reported = 0;
    for _ in 0..10 {
        match poll(&q, &mailer).await {
            Some(response) => reported += response.batch_item_failures.len(),
            None => break,
        }
    }
    assert_eq!(
        reported, 2,
        "the poison message was reported on each of its two receives"
    );
    assert!(peek(&q.sqs, &q.url).await.is_empty(), "the queue is empty");
    let dead = peek(&q.sqs, &q.dead_letters).await;
    assert_eq!(
        dead,
        ["{\"type\":\"mail\",\"to\":\"broken"],
        "the poison message is in the DLQ"
    );
    let to = good.to.as_str();
    assert_eq!(
        sent_to(&moto::sent_mail().await, to).len(),
        1,
        "the good message was sent once, not once per retry of its batch"
    );
}

#[tokio::test]
async fn mail_ses_refuses_is_reported_for_another_try() {
    let aws = moto::aws().await;
    let q = queues(5).await;
    // A sender SES has no identity for: every send is refused.
    let config = latch_core::config::Config::from_lookup(|k| match k {
        "LATCH_MAIL_FROM" => Some(format!("x@{}.example.org", moto::unique("nobody"))),
        _ => None,
    })
    .unwrap();
    let refused = latch_core::wiring::queue_sender(&config, Some(aws.clone()))
        .await
        .unwrap();
    let mail = latch_core::domain::Mail::lockout(
        latch_core::domain::Email::parse("lock@example.com").unwrap(),
        15,
    );
    q.sqs
        .send_message()
        .queue_url(&q.url)
        .message_body(latch_core::domain::queued_mail::QueuedMail::body(&mail))
        .send()
        .await
        .unwrap();
    let response = poll(&q, &refused).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        peek(&q.sqs, &q.url).await.len(),
        1,
        "still queued for another try"
    );
    // A sender that works then takes it.
    let working = sender(&aws, "retry").await;
    assert!(
        poll(&q, &working)
            .await
            .unwrap()
            .batch_item_failures
            .is_empty()
    );
    assert!(peek(&q.sqs, &q.url).await.is_empty());
}

#[tokio::test]
async fn a_queue_that_is_down_answers_alike_for_known_and_unknown_addresses() {
    let aws = moto::aws().await;
    let sqs = Client::new(&aws);
    let q = queues(3).await;
    let app = spawn_app_with(
        &[("LATCH_MAIL", "sqs"), ("LATCH_MAIL_QUEUE_URL", &q.url)],
        Some(aws.clone()),
    )
    .await;
    let known = format!("{}@example.com", moto::unique("known"));
    assert_eq!(
        app.register(&known, STRONG_PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    // The queue goes away: every enqueue fails from now on.
    sqs.delete_queue().queue_url(&q.url).send().await.unwrap();
    let unknown = format!("{}@example.com", moto::unique("gone"));
    for who in [&known, &unknown] {
        let reply = app.forgot_password(who).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{who}: {}", reply.body);
        let reply = app
            .post_json(
                "/v1/auth/resend-verification",
                &serde_json::json!({"email": who}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{who}: {}", reply.body);
    }
}

/// The login that locks an email mails its owner a notice; an unknown email rehearses it, so
/// both enqueue one message of one size, and with the queue down both answer alike (a notice
/// that cannot go out fails the request, for either).
#[tokio::test]
async fn the_login_that_locks_enqueues_alike_and_fails_alike_for_known_and_unknown_emails() {
    let aws = moto::aws().await;
    let sqs = Client::new(&aws);
    let q = queues(3).await;
    let app = spawn_app_with(
        &[
            ("LATCH_MAIL", "sqs"),
            ("LATCH_MAIL_QUEUE_URL", &q.url),
            ("LATCH_LOCKOUT_THRESHOLD", "2"),
        ],
        Some(aws.clone()),
    )
    .await;
    let pair = || {
        let known = format!("{}@example.com", moto::unique("lk"));
        let unknown = format!("{}@example.com", moto::unique("lu"));
        assert_eq!(known.len(), unknown.len());
        (known, unknown)
    };
    let (known, unknown) = pair();
    let (known_later, unknown_later) = pair();
    for who in [&known, &known_later] {
        assert_eq!(
            app.register(who, STRONG_PASSWORD).await.status,
            StatusCode::ACCEPTED
        );
    }
    sqs.purge_queue().queue_url(&q.url).send().await.unwrap();
    assert!(peek(&q.sqs, &q.url).await.is_empty());

    let lock = |who: String| {
        let app = &app;
        async move {
            let first = app.login(&who, "wrong password 1").await;
            first.assert_problem(401, "invalid_credentials");
            app.login(&who, "wrong password 2").await
        }
    };
    for who in [&known, &unknown] {
        lock(who.clone())
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let waiting = peek(&q.sqs, &q.url).await;
    assert_eq!(
        waiting.len(),
        2,
        "one notice enqueued for each: {waiting:?}"
    );
    assert_eq!(waiting[0].len(), waiting[1].len(), "of the same size");
    assert!(waiting.iter().all(|b| !b.contains(&unknown)));
    for who in [&known, &unknown] {
        app.login(who, STRONG_PASSWORD)
            .await
            .assert_problem(423, "account_locked");
    }

    sqs.delete_queue().queue_url(&q.url).send().await.unwrap();
    let locked = app
        .audited(latch_core::domain::AuditType::AccountLocked)
        .await;
    assert_eq!(locked, 2);
    for who in [known_later, unknown_later] {
        lock(who).await.assert_problem(503, "unavailable");
    }
    assert_eq!(
        app.audited(latch_core::domain::AuditType::AccountLocked)
            .await,
        locked + 2,
        "each lock is in the trail though its notice did not go out"
    );
}
