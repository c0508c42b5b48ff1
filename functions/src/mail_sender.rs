//! The `mail-sender` function: the mail queue's consumer (SQS event source, partial batch
//! responses). It holds only an SES client: no store, no keys, no secret.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use latch_core::config::Config;
use latch_core::ports::Mailer;
use latch_core::service::mail_queue::{self, QueueMessage};
use latch_core::telemetry;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The part of an SQS event `mail-sender` reads.
#[derive(Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsRecord {
    pub message_id: String,
    #[serde(default)]
    pub body: String,
}

/// `ReportBatchItemFailures`: the messages SQS must offer again; every other one is deleted.
#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

pub async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let mailer: Arc<dyn Mailer> = Arc::new(latch_core::wiring::queue_sender(&config, None).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let mailer = Arc::clone(&mailer);
        async move { Ok::<_, lambda_runtime::Error>(handle(mailer.as_ref(), event.payload).await) }
    }))
    .await
}

/// One batch: exactly what the runtime calls, so tests can feed it `events/mail-sender.*.json`.
pub async fn handle(mailer: &dyn Mailer, event: SqsEvent) -> BatchResponse {
    let batch: Vec<QueueMessage> = event
        .records
        .into_iter()
        .map(|r| QueueMessage {
            id: r.message_id,
            body: r.body,
        })
        .collect();
    let delivery = mail_queue::deliver(mailer, &batch).await;
    tracing::info!(target: "latch::job", job = "mail-sender", messages = batch.len(), sent = delivery.sent, rehearsals = delivery.rehearsals, failed = delivery.failed.len(), "batch finished");
    BatchResponse {
        batch_item_failures: delivery
            .failed
            .into_iter()
            .map(|item_identifier| ItemFailure { item_identifier })
            .collect(),
    }
}
