//! `SpendLedger` on the embedded store: each charge in one write transaction that checks the
//! idempotency key and the cap and writes the charge and the month's spend together.

use super::{CHARGES, EmbeddedStore, SPEND, USERS, db_err, get, put};
use crate::Error;
use crate::domain::{Charge, User, UserId};
use crate::ports::{ChargeOutcome, SpendLedger};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// A month's spend of one user.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Month {
    spent_cents: u64,
    #[serde(default)]
    cap_noticed: bool,
}

fn month_key(user: &UserId, period: &str) -> String {
    format!("{user}#{period}")
}

fn charge_key(user: &UserId, idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    format!("{user}#{}", crate::crypto::hex(&digest))
}

#[async_trait]
impl SpendLedger for EmbeddedStore {
    async fn charge(
        &self,
        charge: &Charge,
        cap_cents: u64,
        account_version: u64,
    ) -> Result<ChargeOutcome, Error> {
        let charge = charge.clone();
        self.write(move |txn| {
            let mut charges = txn.open_table(CHARGES).map_err(db_err)?;
            let key = charge_key(&charge.user_id, &charge.idempotency_key);
            if let Some(stored) = get::<Charge>(&charges, &key)? {
                return Ok(if stored == charge {
                    ChargeOutcome::Recorded
                } else {
                    ChargeOutcome::Replayed(stored)
                });
            }
            // The cap was read from the account at this version: a cap lowered since fails it.
            let users = txn.open_table(USERS).map_err(db_err)?;
            let account = get::<User>(&users, charge.user_id.as_str())?;
            if account.is_none_or(|a| a.version != account_version) {
                return Ok(ChargeOutcome::AccountChanged);
            }
            let mut months = txn.open_table(SPEND).map_err(db_err)?;
            let mkey = month_key(&charge.user_id, &charge.period);
            let mut month: Month = get(&months, &mkey)?.unwrap_or_default();
            match month.spent_cents.checked_add(charge.amount_cents) {
                Some(total) if total <= cap_cents => month.spent_cents = total,
                _ => return Ok(ChargeOutcome::CapReached),
            }
            put(&mut months, &mkey, &month)?;
            put(&mut charges, &key, &charge)?;
            Ok(ChargeOutcome::Recorded)
        })
        .await
    }

    async fn spent(&self, user: &UserId, period: &str) -> Result<u64, Error> {
        let key = month_key(user, period);
        self.read(move |txn| {
            let months = txn.open_table(SPEND).map_err(db_err)?;
            Ok(get::<Month>(&months, &key)?.map_or(0, |m| m.spent_cents))
        })
        .await
    }

    async fn claim_cap_notice(&self, user: &UserId, period: &str) -> Result<bool, Error> {
        let key = month_key(user, period);
        self.write(move |txn| {
            let mut months = txn.open_table(SPEND).map_err(db_err)?;
            let mut month: Month = get(&months, &key)?.unwrap_or_default();
            if month.cap_noticed {
                return Ok(false);
            }
            month.cap_noticed = true;
            put(&mut months, &key, &month)?;
            Ok(true)
        })
        .await
    }
}
