//! `UserStore` on the embedded store.

use super::{EMAILS, EmbeddedStore, TOKENS, USERS, db_err, decode, encode};
use crate::Error;
use crate::domain::{Email, OneTimeTokenRecord, SessionId, TokenHash, TokenPurpose, User, UserId};
use crate::ports::{CreateUser, UserStore};
use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};
use time::OffsetDateTime;

#[async_trait]
impl UserStore for EmbeddedStore {
    async fn create_user(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
    ) -> Result<CreateUser, Error> {
        let (user, token) = (user.clone(), verification.clone());
        let (user_bytes, token_bytes) = (encode(&user)?, encode(&token)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut emails = txn.open_table(EMAILS).map_err(db_err)?;
                if let Some(existing) = emails.get(user.email.as_str()).map_err(db_err)? {
                    let id = UserId::parse(existing.value())
                        .ok_or_else(|| Error::internal("corrupt email claim"))?;
                    return Ok(CreateUser::EmailTaken(id));
                }
                emails
                    .insert(user.email.as_str(), user.id.as_str())
                    .map_err(db_err)?;
                let mut users = txn.open_table(USERS).map_err(db_err)?;
                if users.get(user.id.as_str()).map_err(db_err)?.is_some() {
                    return Err(Error::internal("user id collision"));
                }
                users
                    .insert(user.id.as_str(), user_bytes.as_slice())
                    .map_err(db_err)?;
                txn.open_table(TOKENS)
                    .map_err(db_err)?
                    .insert(token.hash.as_str(), token_bytes.as_slice())
                    .map_err(db_err)?;
            }
            txn.commit().map_err(db_err)?;
            Ok(CreateUser::Created)
        })
        .await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, Error> {
        let email = email.clone();
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let Some(id) = txn
                .open_table(EMAILS)
                .map_err(db_err)?
                .get(email.as_str())
                .map_err(db_err)?
                .map(|v| v.value().to_owned())
            else {
                return Ok(None);
            };
            let users = txn.open_table(USERS).map_err(db_err)?;
            users
                .get(id.as_str())
                .map_err(db_err)?
                .map(|v| decode(v.value()))
                .transpose()
        })
        .await
    }

    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, Error> {
        let id = id.clone();
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let users = txn.open_table(USERS).map_err(db_err)?;
            users
                .get(id.as_str())
                .map_err(db_err)?
                .map(|v| decode(v.value()))
                .transpose()
        })
        .await
    }

    async fn redeem_email_verification(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, Error> {
        let hash = token.clone();
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            let user_id = {
                let mut tokens = txn.open_table(TOKENS).map_err(db_err)?;
                let record: Option<OneTimeTokenRecord> = tokens
                    .get(hash.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                let Some(record) =
                    record.filter(|r| r.is_live(TokenPurpose::EmailVerification, now))
                else {
                    return Ok(None);
                };
                tokens.remove(hash.as_str()).map_err(db_err)?;
                let mut users = txn.open_table(USERS).map_err(db_err)?;
                let user: Option<User> = users
                    .get(record.user_id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                let Some(mut user) = user else {
                    return Ok(None);
                };
                user.email_verified = true;
                user.version += 1;
                users
                    .insert(user.id.as_str(), encode(&user)?.as_slice())
                    .map_err(db_err)?;
                user.id
            };
            txn.commit().map_err(db_err)?;
            Ok(Some(user_id))
        })
        .await
    }

    async fn revoke_sessions_before(
        &self,
        user: &UserId,
        now: OffsetDateTime,
        keep: Option<&SessionId>,
    ) -> Result<(), Error> {
        let (id, keep) = (user.clone(), keep.cloned());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut users = txn.open_table(USERS).map_err(db_err)?;
                let found: Option<User> = users
                    .get(id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                let Some(mut user) = found else {
                    return Ok(());
                };
                user.sessions_not_before = Some(now);
                user.session_kept = keep;
                user.version += 1;
                users
                    .insert(id.as_str(), encode(&user)?.as_slice())
                    .map_err(db_err)?;
            }
            txn.commit().map_err(db_err)
        })
        .await
    }

    async fn save_user(
        &self,
        user: &User,
        expected_version: u64,
        spend: Option<&TokenHash>,
    ) -> Result<bool, Error> {
        let (id, bytes, spend) = (user.id.clone(), encode(user)?, spend.cloned());
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut users = txn.open_table(USERS).map_err(db_err)?;
                let stored: Option<User> = users
                    .get(id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                if stored.is_none_or(|s| s.version != expected_version) {
                    return Ok(false);
                }
                if let Some(hash) = spend {
                    let mut tokens = txn.open_table(TOKENS).map_err(db_err)?;
                    if tokens.remove(hash.as_str()).map_err(db_err)?.is_none() {
                        return Ok(false);
                    }
                }
                users
                    .insert(id.as_str(), bytes.as_slice())
                    .map_err(db_err)?;
            }
            txn.commit().map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn put_token(&self, token: &OneTimeTokenRecord) -> Result<(), Error> {
        let (hash, bytes) = (token.hash.clone(), encode(token)?);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            txn.open_table(TOKENS)
                .map_err(db_err)?
                .insert(hash.as_str(), bytes.as_slice())
                .map_err(db_err)?;
            txn.commit().map_err(db_err)
        })
        .await
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<OneTimeTokenRecord>, Error> {
        let hash = hash.clone();
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let tokens = txn.open_table(TOKENS).map_err(db_err)?;
            tokens
                .get(hash.as_str())
                .map_err(db_err)?
                .map(|v| decode(v.value()))
                .transpose()
        })
        .await
    }

    async fn abandoned_users(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<User>, Error> {
        self.with_db(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let users = txn.open_table(USERS).map_err(db_err)?;
            let mut out = Vec::new();
            for entry in users.iter().map_err(db_err)? {
                let (_, v) = entry.map_err(db_err)?;
                let user: User = decode(v.value())?;
                if !user.email_verified && user.created_at < created_before {
                    out.push(user);
                }
            }
            out.sort_by_key(|u| u.created_at);
            out.truncate(limit);
            Ok(out)
        })
        .await
    }

    async fn delete_unverified(&self, user: &User) -> Result<bool, Error> {
        let (id, email, version) = (user.id.clone(), user.email.clone(), user.version);
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut users = txn.open_table(USERS).map_err(db_err)?;
                let stored: Option<User> = users
                    .get(id.as_str())
                    .map_err(db_err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                if !stored.is_some_and(|u| !u.email_verified && u.version == version) {
                    return Ok(false);
                }
                users.remove(id.as_str()).map_err(db_err)?;
                let mut emails = txn.open_table(EMAILS).map_err(db_err)?;
                let owner = emails
                    .get(email.as_str())
                    .map_err(db_err)?
                    .map(|v| v.value().to_owned());
                if owner.as_deref() == Some(id.as_str()) {
                    emails.remove(email.as_str()).map_err(db_err)?;
                }
            }
            txn.commit().map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn ping(&self) -> Result<(), Error> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(db_err)?;
            txn.open_table(USERS)
                .map_err(db_err)?
                .first()
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
