//! `SessionStore` on the embedded store.

use super::{EmbeddedStore, REFRESH, SESSIONS, USER_SESSIONS, db_err, decode, encode};
use crate::Error;
use crate::domain::{RefreshTokenRecord, Session, SessionId, TokenHash, UserId};
use crate::ports::SessionStore;
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};
use time::OffsetDateTime;

fn index_key(user: &UserId, session: &SessionId) -> String {
    format!("{user}/{session}")
}

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
    ) -> Result<(), Error> {
        let (id, hash, index) = (
            session.id.clone(),
            refresh.hash.clone(),
            index_key(&session.user_id, &session.id),
        );
        let (session_bytes, refresh_bytes) = (encode(session)?, encode(refresh)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
                let mut tokens = txn.open_table(REFRESH).map_err(db_err)?;
                if sessions.get(id.as_str()).map_err(db_err)?.is_some()
                    || tokens.get(hash.as_str()).map_err(db_err)?.is_some()
                {
                    return Err(Error::internal("session or refresh token id collision"));
                }
                sessions
                    .insert(id.as_str(), session_bytes.as_slice())
                    .map_err(db_err)?;
                tokens
                    .insert(hash.as_str(), refresh_bytes.as_slice())
                    .map_err(db_err)?;
                txn.open_table(USER_SESSIONS)
                    .map_err(db_err)?
                    .insert(index.as_str(), ())
                    .map_err(db_err)?;
            }
            txn.commit().map_err(db_err)
        })
        .await
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, Error> {
        let id = id.clone();
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            sessions
                .get(id.as_str())
                .map_err(db_err)?
                .map(|v| decode(v.value()))
                .transpose()
        })
        .await
    }

    async fn revoke_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<(), Error> {
        let id = id.clone();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
                let session: Option<Session> = sessions
                    .get(id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                if let Some(mut session) = session.filter(|s| s.revoked_at.is_none()) {
                    session.revoked_at = Some(now);
                    sessions
                        .insert(id.as_str(), encode(&session)?.as_slice())
                        .map_err(db_err)?;
                }
            }
            txn.commit().map_err(db_err)
        })
        .await
    }

    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<RefreshTokenRecord>, Error> {
        let hash = hash.clone();
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let tokens = txn.open_table(REFRESH).map_err(db_err)?;
            tokens
                .get(hash.as_str())
                .map_err(db_err)?
                .map(|v| decode(v.value()))
                .transpose()
        })
        .await
    }

    async fn rotate_refresh(
        &self,
        rotated: &Session,
        old: &TokenHash,
        next: &RefreshTokenRecord,
    ) -> Result<bool, Error> {
        let (rotated, old, next) = (rotated.clone(), old.clone(), next.clone());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut sessions = txn.open_table(SESSIONS).map_err(db_err)?;
                let stored: Option<Session> = sessions
                    .get(rotated.id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                if !stored.is_some_and(|s| s.revoked_at.is_none() && s.refresh_hash == old) {
                    return Ok(false);
                }
                let mut tokens = txn.open_table(REFRESH).map_err(db_err)?;
                let spent: Option<RefreshTokenRecord> = tokens
                    .get(old.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                let Some(mut spent) = spent.filter(|r| r.spent_at.is_none()) else {
                    return Ok(false);
                };
                spent.spent_at = Some(rotated.last_used_at);
                tokens
                    .insert(old.as_str(), encode(&spent)?.as_slice())
                    .map_err(db_err)?;
                if tokens.get(next.hash.as_str()).map_err(db_err)?.is_some() {
                    return Err(Error::internal("refresh token collision"));
                }
                tokens
                    .insert(next.hash.as_str(), encode(&next)?.as_slice())
                    .map_err(db_err)?;
                sessions
                    .insert(rotated.id.as_str(), encode(&rotated)?.as_slice())
                    .map_err(db_err)?;
            }
            txn.commit().map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn sessions_of(&self, user: &UserId, limit: usize) -> Result<Vec<Session>, Error> {
        let (from, to) = (format!("{user}/"), format!("{user}0"));
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let index = txn.open_table(USER_SESSIONS).map_err(db_err)?;
            let sessions = txn.open_table(SESSIONS).map_err(db_err)?;
            let mut out = Vec::new();
            // Session ids are ULIDs: reverse key order is newest first.
            for entry in index
                .range(from.as_str()..to.as_str())
                .map_err(db_err)?
                .rev()
                .take(limit)
            {
                let (key, _) = entry.map_err(db_err)?;
                let Some((_, sid)) = key
                    .value()
                    .split_once('/')
                    .map(|(u, s)| (u.to_owned(), s.to_owned()))
                else {
                    continue;
                };
                if let Some(v) = sessions.get(sid.as_str()).map_err(db_err)? {
                    out.push(decode::<Session>(v.value())?);
                }
            }
            Ok(out)
        })
        .await
    }
}
