//! `SessionStore` on DynamoDB: sessions and refresh-token hashes in the sessions table; the
//! sparse `byUser` index (only session items carry `byUser`) lists a user's sessions.

use super::{DynamoStore, Item, build_err, from_item, s, text, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::{RefreshTokenRecord, Session, SessionId, TokenHash, User, UserId};
use crate::ports::{AuditAppend, Audited, Page, SessionStore};
use async_trait::async_trait;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The index listing a user's sessions: hash `byUser`, range `createdAt`.
pub const BY_USER_INDEX: &str = "byUser";

fn session_pk(id: &SessionId) -> String {
    format!("SESSION#{id}")
}

fn refresh_pk(hash: &TokenHash) -> String {
    format!("REFRESH#{}", hash.as_str())
}

fn rfc3339(t: OffsetDateTime) -> Result<AttributeValue, Error> {
    t.format(&Rfc3339)
        .map(AttributeValue::S)
        .map_err(|e| Error::internal(format!("formatting a time: {e}")))
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn create_session_audited(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<()>, Error> {
        let table = &self.tables.sessions;
        let put = |item| {
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)
        };
        let mut session_item = to_item(
            session_pk(&session.id),
            session,
            Some(session.absolute_expires_at),
        )?;
        session_item.insert(BY_USER_INDEX.to_owned(), s(session.user_id.as_str()));
        let session_put = put(session_item)?;
        let refresh_put = put(to_item(
            refresh_pk(&refresh.hash),
            refresh,
            Some(refresh.expires_at),
        )?)?;
        let epoch = session.credential_epoch;
        // Accounts written before epochs existed carry none: that is epoch 0.
        let condition = if epoch == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(credentialEpoch) OR credentialEpoch = :epoch)"
        } else {
            "credentialEpoch = :epoch"
        };
        let still_current = ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("pk", s(super::users::user_pk(&session.user_id)))
            .condition_expression(condition)
            .expression_attribute_values(":epoch", AttributeValue::N(epoch.to_string()))
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder()
                .condition_check(still_current)
                .build(),
            TransactWriteItem::builder().put(session_put).build(),
            TransactWriteItem::builder().put(refresh_put).build(),
        ];
        // The session and refresh keys are fresh random values, so a failed condition is the
        // account's epoch having moved on (a reset or change landed), not a collision, unless
        // the session is there: then an earlier attempt of this call landed, its answer lost.
        match self
            .transact_audited(items, audit, "create session")
            .await?
        {
            Audited::Refused(()) if self.session(&session.id).await?.is_some() => {
                Ok(Audited::Stored(()))
            }
            other => Ok(other),
        }
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, Error> {
        self.get(&self.tables.sessions, session_pk(id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn session_with_user(
        &self,
        id: &SessionId,
        user: &UserId,
    ) -> Result<(Option<Session>, Option<User>), Error> {
        let key = |pk: String| Item::from([("pk".to_owned(), s(pk))]);
        let keys = |table: &str, pk: String| {
            KeysAndAttributes::builder()
                .keys(key(pk))
                .consistent_read(true)
                .build()
                .map(|k| (table.to_owned(), k))
                .map_err(build_err)
        };
        let (sessions, users) = (&self.tables.sessions, &self.tables.users);
        let mut want: HashMap<String, KeysAndAttributes> = HashMap::from([
            keys(sessions, session_pk(id))?,
            keys(users, super::users::user_pk(user))?,
        ]);
        let (mut session, mut account) = (None, None);
        // Unprocessed keys (throttling) are asked again, a few times with a growing, jittered
        // pause (AWS's advice for BatchGetItem), before giving up.
        for attempt in 0..4u64 {
            if attempt > 0 {
                let jitter = u64::from(crate::crypto::random::bytes32()[0]) % 20;
                let pause = std::time::Duration::from_millis((10 << attempt) + jitter);
                tokio::time::sleep(pause).await;
            }
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(want))
                .send()
                .await
                .map_err(|e| sdk_error("dynamodb BatchGetItem (session and user)", e))?;
            let mut found = out.responses.unwrap_or_default();
            if let Some(item) = found.remove(sessions).and_then(|mut v| v.pop()) {
                session = Some(from_item(item)?);
            }
            if let Some(item) = found.remove(users).and_then(|mut v| v.pop()) {
                account = Some(from_item(item)?);
            }
            want = out.unprocessed_keys.unwrap_or_default();
            if want.is_empty() {
                return Ok((session, account));
            }
        }
        Err(crate::telemetry::outage(
            "dynamodb BatchGetItem (session and user)",
            false,
            "keys left unprocessed",
        ))
    }

    async fn revoke_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.sessions)
            .key("pk", s(session_pk(id)))
            .update_expression("SET revokedAt = if_not_exists(revokedAt, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", rfc3339(now)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Revoking a session that does not exist leaves nothing to revoke.
            Err(e) if super::condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error("dynamodb UpdateItem (revoke session)", e)),
        }
    }

    async fn count_password_failure(&self, id: &SessionId) -> Result<u64, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.sessions)
            .key("pk", s(session_pk(id)))
            .update_expression("ADD passwordFailures :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .attributes()
                .map_or(0, |a| super::number(a, "passwordFailures"))),
            Err(e) if super::condition_failed(&e) => Ok(0),
            Err(e) => Err(sdk_error("dynamodb UpdateItem (session failures)", e)),
        }
    }

    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<RefreshTokenRecord>, Error> {
        self.get(&self.tables.sessions, refresh_pk(hash))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn rotate_refresh(
        &self,
        rotated: &Session,
        old: &TokenHash,
        next: &RefreshTokenRecord,
    ) -> Result<bool, Error> {
        let table = &self.tables.sessions;
        let spend = Update::builder()
            .table_name(table)
            .key("pk", s(refresh_pk(old)))
            .update_expression("SET spentAt = :now")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(spentAt)")
            .expression_attribute_values(":now", rfc3339(rotated.last_used_at)?)
            .build()
            .map_err(build_err)?;
        let store_next = Put::builder()
            .table_name(table)
            .set_item(Some(to_item(
                refresh_pk(&next.hash),
                next,
                Some(next.expires_at),
            )?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let move_session = Update::builder()
            .table_name(table)
            .key("pk", s(session_pk(&rotated.id)))
            .update_expression("SET refreshHash = :next, lastUsedAt = :now, idleExpiresAt = :idle")
            .condition_expression("refreshHash = :old AND attribute_not_exists(revokedAt)")
            .expression_attribute_values(":next", s(next.hash.as_str()))
            .expression_attribute_values(":old", s(old.as_str()))
            .expression_attribute_values(":now", rfc3339(rotated.last_used_at)?)
            .expression_attribute_values(":idle", rfc3339(rotated.idle_expires_at)?)
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().update(spend).build(),
            TransactWriteItem::builder().put(store_next).build(),
            TransactWriteItem::builder().update(move_session).build(),
        ];
        if self.transact(items, "rotate refresh").await? {
            return Ok(true);
        }
        // A session already holding `next` (a fresh random value) was moved by an earlier
        // attempt of this call whose answer was lost; any other holder won a concurrent refresh.
        let landed = self.session(&rotated.id).await?;
        Ok(landed.is_some_and(|s| s.refresh_hash == next.hash))
    }

    async fn sessions_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Session>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.sessions)
            .index_name(BY_USER_INDEX)
            .key_condition_expression("#u = :u")
            .expression_attribute_names("#u", BY_USER_INDEX)
            .expression_attribute_values(":u", s(user.as_str()))
            .scan_index_forward(false);
        // A position is `<createdAt>|<session id>`: the index key of the last session shown.
        let start = after.and_then(|p| p.split_once('|')).map(|(at, sid)| {
            Item::from([
                ("pk".to_owned(), s(format!("SESSION#{sid}"))),
                (BY_USER_INDEX.to_owned(), s(user.as_str())),
                ("createdAt".to_owned(), s(at)),
            ])
        });
        let read = self
            .collect(query, start, limit + 1, "sessions by user")
            .await?;
        read.page(limit, |item| {
            let at = text(item, "createdAt")?;
            let sid = text(item, "pk")?.strip_prefix("SESSION#")?;
            Some(format!("{at}|{sid}"))
        })
    }
}
