//! `SessionStore` on the embedded store.

use super::{EmbeddedStore, REFRESH, SESSIONS, USER_SESSIONS, USERS, audit, db_err, get, put};
use crate::Error;
use crate::domain::{RefreshTokenRecord, Session, SessionId, TokenHash, User, UserId};
use crate::ports::{AuditAppend, Audited, Page, SessionStore};
use async_trait::async_trait;
use redb::ReadableTable;
use time::OffsetDateTime;

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create_session_audited(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<()>, Error> {
        let (session, refresh, audit) = (session.clone(), refresh.clone(), audit::owned(audit));
        self.write(move |txn| {
            if let Some((event, expected)) = &audit
                && !audit::head_is(txn, event, expected.as_ref())?
            {
                return Ok(Audited::HeadMoved);
            }
            let users = txn.open_table(USERS).map_err(db_err)?;
            let epoch_moved = get::<User>(&users, session.user_id.as_str())?
                .is_none_or(|u| u.credential_epoch != session.credential_epoch);
            if epoch_moved {
                return Ok(Audited::Refused(()));
            }
            let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            let mut tokens = txn.open_table(REFRESH).map_err(db_err)?;
            if sessions.get(session.id.as_str()).map_err(db_err)?.is_some()
                || tokens.get(refresh.hash.as_str()).map_err(db_err)?.is_some()
            {
                return Err(Error::internal("session or refresh token id collision"));
            }
            put(&mut sessions, session.id.as_str(), &session)?;
            put(&mut tokens, refresh.hash.as_str(), &refresh)?;
            let index = format!("{}/{}", session.user_id, session.id);
            txn.open_table(USER_SESSIONS)
                .map_err(db_err)?
                .insert(index.as_str(), ())
                .map_err(db_err)?;
            if let Some((event, _)) = &audit {
                audit::store(txn, event)?;
            }
            Ok(Audited::Stored(()))
        })
        .await
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, Error> {
        let id = id.clone();
        self.read(move |txn| get(&txn.open_table(SESSIONS).map_err(db_err)?, id.as_str()))
            .await
    }

    async fn session_with_user(
        &self,
        id: &SessionId,
        user: &UserId,
    ) -> Result<(Option<Session>, Option<User>), Error> {
        let (id, user) = (id.clone(), user.clone());
        self.read(move |txn| {
            let session = get(&txn.open_table(SESSIONS).map_err(db_err)?, id.as_str())?;
            let user = get(&txn.open_table(USERS).map_err(db_err)?, user.as_str())?;
            Ok((session, user))
        })
        .await
    }

    async fn revoke_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<(), Error> {
        let id = id.clone();
        self.write(move |txn| {
            let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            if let Some(mut session) =
                get::<Session>(&sessions, id.as_str())?.filter(|s| s.revoked_at.is_none())
            {
                session.revoked_at = Some(now);
                put(&mut sessions, id.as_str(), &session)?;
            }
            Ok(())
        })
        .await
    }

    async fn count_password_failure(&self, id: &SessionId) -> Result<u64, Error> {
        let id = id.clone();
        self.write(move |txn| {
            let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            let Some(mut session) = get::<Session>(&sessions, id.as_str())? else {
                return Ok(0);
            };
            session.password_failures += 1;
            put(&mut sessions, id.as_str(), &session)?;
            Ok(session.password_failures)
        })
        .await
    }

    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<RefreshTokenRecord>, Error> {
        let hash = hash.clone();
        self.read(move |txn| get(&txn.open_table(REFRESH).map_err(db_err)?, hash.as_str()))
            .await
    }

    async fn rotate_refresh(
        &self,
        rotated: &Session,
        old: &TokenHash,
        next: &RefreshTokenRecord,
    ) -> Result<bool, Error> {
        let (mut rotated, old, next) = (rotated.clone(), old.clone(), next.clone());
        self.write(move |txn| {
            let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            let stored: Option<Session> = get(&sessions, rotated.id.as_str())?;
            let Some(stored) = stored.filter(|s| s.revoked_at.is_none() && s.refresh_hash == old)
            else {
                return Ok(false);
            };
            // Counted since `rotated` was read: what the store holds wins.
            rotated.password_failures = stored.password_failures;
            let mut tokens = txn.open_table(REFRESH).map_err(db_err)?;
            let Some(mut spent) =
                get::<RefreshTokenRecord>(&tokens, old.as_str())?.filter(|r| r.spent_at.is_none())
            else {
                return Ok(false);
            };
            if tokens.get(next.hash.as_str()).map_err(db_err)?.is_some() {
                return Err(Error::internal("refresh token collision"));
            }
            spent.spent_at = Some(rotated.last_used_at);
            put(&mut tokens, old.as_str(), &spent)?;
            put(&mut tokens, next.hash.as_str(), &next)?;
            put(&mut sessions, rotated.id.as_str(), &rotated)?;
            Ok(true)
        })
        .await
    }

    async fn sessions_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Session>, Error> {
        let from = format!("{user}/");
        // Session ids are ULIDs: reverse key order is newest first; a position is a session id.
        let to = match after {
            Some(sid) => format!("{user}/{sid}"),
            None => format!("{user}0"),
        };
        self.read(move |txn| {
            let index = txn.open_table(USER_SESSIONS).map_err(db_err)?;
            let sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            let mut items: Vec<Session> = Vec::new();
            let mut next = None;
            for entry in index
                .range(from.as_str()..to.as_str())
                .map_err(db_err)?
                .rev()
            {
                let (key, _) = entry.map_err(db_err)?;
                let Some(session) = key
                    .value()
                    .split_once('/')
                    .map(|(_, sid)| get::<Session>(&sessions, sid))
                    .transpose()?
                    .flatten()
                else {
                    continue;
                };
                if items.len() == limit {
                    next = items.last().map(|s| s.id.to_string());
                    break;
                }
                items.push(session);
            }
            Ok(Page { items, next })
        })
        .await
    }
}
