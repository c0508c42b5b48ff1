//! `SessionStore` on the embedded store.

use super::{EmbeddedStore, REFRESH, SESSIONS, db_err, decode, encode};
use crate::Error;
use crate::domain::{RefreshTokenRecord, Session, SessionId};
use crate::ports::SessionStore;
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};
use time::OffsetDateTime;

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
    ) -> Result<(), Error> {
        let (id, hash) = (session.id.clone(), refresh.hash.clone());
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
}
