//! `SpendLedger` on DynamoDB, in the users table: `SPEND#<user>#<YYYY-MM>` holds a month's
//! `spentCents` (and `capNoticed`), `CHARGE#<user>#<sha256 of the idempotency key>` a charge. A
//! charge is one transaction: the charge put if absent, the month's spend raised only while it
//! stays within the cap.

use super::users::user_pk;
use super::{DynamoStore, from_item, s, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::{Charge, UserId};
use crate::ports::{ChargeOutcome, SpendLedger};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

fn spend_pk(user: &UserId, period: &str) -> String {
    format!("SPEND#{user}#{period}")
}

fn charge_pk(user: &UserId, idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    format!("CHARGE#{user}#{}", crate::crypto::hex(&digest))
}

fn build_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("building a ledger request: {e}"))
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// How a charge's transaction ended.
enum Attempt {
    Applied,
    /// Which of (charge, spend, account) failed their condition.
    Refused {
        charge: bool,
        spend: bool,
        account: bool,
    },
    /// Another transaction held one of its items (real DynamoDB): worth another try.
    Conflict,
}

impl DynamoStore {
    async fn charge_once(&self, items: Vec<TransactWriteItem>) -> Result<Attempt, Error> {
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match sent {
            Ok(_) => return Ok(Attempt::Applied),
            Err(err) => err,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(e)) =
            err.as_service_error()
        {
            let code = |i: usize| e.cancellation_reasons().get(i).and_then(|r| r.code());
            let failed = |i: usize| code(i) == Some("ConditionalCheckFailed");
            if (0..3).any(|i| code(i) == Some("TransactionConflict")) {
                return Ok(Attempt::Conflict);
            }
            if (0..3).any(failed) {
                return Ok(Attempt::Refused {
                    charge: failed(0),
                    spend: failed(1),
                    account: failed(2),
                });
            }
        }
        Err(sdk_error("dynamodb TransactWriteItems (charge)", err))
    }
}

#[async_trait]
impl SpendLedger for DynamoStore {
    async fn charge(
        &self,
        charge: &Charge,
        cap_cents: u64,
        account_version: u64,
    ) -> Result<ChargeOutcome, Error> {
        let table = &self.tables.users;
        let charge_key = charge_pk(&charge.user_id, &charge.idempotency_key);
        // Room left under the cap for the spend before this charge; none at all means refused,
        // once the key is known not to be a replay.
        let mut refused_by_cap = true;
        if let Some(room) = cap_cents.checked_sub(charge.amount_cents) {
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(to_item(charge_key.clone(), charge, None)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)?;
            let raise = Update::builder()
                .table_name(table)
                .key("pk", s(spend_pk(&charge.user_id, &charge.period)))
                .update_expression("SET spentCents = if_not_exists(spentCents, :zero) + :amount")
                .condition_expression("attribute_not_exists(spentCents) OR spentCents <= :room")
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":amount", n(charge.amount_cents))
                .expression_attribute_values(":room", n(room))
                .build()
                .map_err(build_err)?;
            // The cap was read from the account at this version: a cap lowered since fails it.
            let account = ConditionCheck::builder()
                .table_name(table)
                .key("pk", s(user_pk(&charge.user_id)))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", n(account_version))
                .build()
                .map_err(build_err)?;
            let items = vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder().update(raise).build(),
                TransactWriteItem::builder()
                    .condition_check(account)
                    .build(),
            ];
            let mut attempt = 0;
            refused_by_cap = loop {
                match self.charge_once(items.clone()).await? {
                    Attempt::Applied => return Ok(ChargeOutcome::Recorded),
                    Attempt::Refused {
                        charge: false,
                        account: true,
                        ..
                    } => {
                        return Ok(ChargeOutcome::AccountChanged);
                    }
                    Attempt::Refused { spend, .. } => break spend,
                    Attempt::Conflict if attempt < 4 => {
                        attempt += 1;
                        let jitter = u64::from(crate::crypto::random::bytes32()[0]) % 20;
                        tokio::time::sleep(std::time::Duration::from_millis(10 * attempt + jitter))
                            .await;
                    }
                    Attempt::Conflict => {
                        return Err(crate::telemetry::outage(
                            "dynamodb TransactWriteItems (charge)",
                            false,
                            "transaction conflicts on every attempt",
                        ));
                    }
                }
            };
        }
        // Refused: a replay when the key is taken (by this charge itself, if an earlier attempt
        // landed and its answer was lost), else the cap.
        match self.get(table, charge_key).await? {
            Some(item) => {
                let stored: Charge = from_item(item)?;
                if stored == *charge {
                    Ok(ChargeOutcome::Recorded)
                } else {
                    Ok(ChargeOutcome::Replayed(stored))
                }
            }
            None if refused_by_cap => Ok(ChargeOutcome::CapReached),
            None => Ok(ChargeOutcome::AccountChanged),
        }
    }

    async fn spent(&self, user: &UserId, period: &str) -> Result<u64, Error> {
        let item = self.get(&self.tables.users, spend_pk(user, period)).await?;
        Ok(match item.as_ref().and_then(|i| i.get("spentCents")) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map_err(|_| Error::internal("spentCents is not a whole number"))?,
            _ => 0,
        })
    }

    async fn claim_cap_notice(&self, user: &UserId, period: &str) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(spend_pk(user, period)))
            .update_expression("SET capNoticed = :yes")
            .condition_expression("attribute_not_exists(capNoticed)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if super::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("dynamodb UpdateItem (cap notice)", e)),
        }
    }
}
