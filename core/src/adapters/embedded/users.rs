//! `UserStore` on the embedded store.

use super::{EMAILS, EmbeddedStore, TOKENS, USERS, db_err, get, put};
use crate::Error;
use crate::domain::{Email, OneTimeTokenRecord, SessionId, TokenHash, TokenPurpose, User, UserId};
use crate::ports::{CreateUser, UserStore};
use async_trait::async_trait;
use redb::ReadableTable;
use time::OffsetDateTime;

#[async_trait]
impl UserStore for EmbeddedStore {
    async fn create_user(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
    ) -> Result<CreateUser, Error> {
        let (user, token) = (user.clone(), verification.clone());
        self.write(move |txn| {
            let mut emails = txn.open_table(EMAILS).map_err(db_err)?;
            if let Some(existing) = emails.get(user.email.as_str()).map_err(db_err)? {
                let id = UserId::parse(existing.value())
                    .ok_or_else(|| Error::internal("corrupt email claim"))?;
                return Ok(CreateUser::EmailTaken(id));
            }
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if users.get(user.id.as_str()).map_err(db_err)?.is_some() {
                return Err(Error::internal("user id collision"));
            }
            emails
                .insert(user.email.as_str(), user.id.as_str())
                .map_err(db_err)?;
            put(&mut users, user.id.as_str(), &user)?;
            put(
                &mut txn.open_table(TOKENS).map_err(db_err)?,
                token.hash.as_str(),
                &token,
            )?;
            Ok(CreateUser::Created)
        })
        .await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, Error> {
        let email = email.clone();
        self.read(move |txn| {
            let emails = txn.open_table(EMAILS).map_err(db_err)?;
            let claimed = emails
                .get(email.as_str())
                .map_err(db_err)?
                .map(|v| v.value().to_owned());
            // An unclaimed address reads an id nobody holds, as the port promises.
            let id = claimed
                .clone()
                .unwrap_or_else(|| UserId::new(OffsetDateTime::now_utc()).to_string());
            let user: Option<User> = get(&txn.open_table(USERS).map_err(db_err)?, &id)?;
            Ok(user.filter(|_| claimed.is_some()))
        })
        .await
    }

    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, Error> {
        let id = id.clone();
        self.read(move |txn| get(&txn.open_table(USERS).map_err(db_err)?, id.as_str()))
            .await
    }

    async fn redeem_email_verification(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, Error> {
        let hash = token.clone();
        self.write(move |txn| {
            let mut tokens = txn.open_table(TOKENS).map_err(db_err)?;
            let record: Option<OneTimeTokenRecord> = get(&tokens, hash.as_str())?;
            let Some(record) = record.filter(|r| r.is_live(TokenPurpose::EmailVerification, now))
            else {
                return Ok(None);
            };
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            // Once the address is verified (by this link, another, or a reset), every other
            // verification link of it is dead.
            let Some(mut user) =
                get::<User>(&users, record.user_id.as_str())?.filter(|u| !u.email_verified)
            else {
                return Ok(None);
            };
            tokens.remove(hash.as_str()).map_err(db_err)?;
            user.email_verified = true;
            user.version += 1;
            put(&mut users, user.id.as_str(), &user)?;
            Ok(Some(user.id))
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
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if let Some(mut user) = get::<User>(&users, id.as_str())? {
                user.sessions_not_before = Some(now);
                user.session_kept = keep;
                user.version += 1;
                put(&mut users, id.as_str(), &user)?;
            }
            Ok(())
        })
        .await
    }

    async fn save_user(
        &self,
        user: &User,
        expected_version: u64,
        spend: Option<&TokenHash>,
    ) -> Result<bool, Error> {
        let (user, spend) = (user.clone(), spend.cloned());
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if get::<User>(&users, user.id.as_str())?.is_none_or(|s| s.version != expected_version)
            {
                return Ok(false);
            }
            if let Some(hash) = spend
                && txn
                    .open_table(TOKENS)
                    .map_err(db_err)?
                    .remove(hash.as_str())
                    .map_err(db_err)?
                    .is_none()
            {
                return Ok(false);
            }
            put(&mut users, user.id.as_str(), &user)?;
            Ok(true)
        })
        .await
    }

    async fn put_token(&self, token: &OneTimeTokenRecord) -> Result<(), Error> {
        let token = token.clone();
        self.write(move |txn| {
            put(
                &mut txn.open_table(TOKENS).map_err(db_err)?,
                token.hash.as_str(),
                &token,
            )
        })
        .await
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<OneTimeTokenRecord>, Error> {
        let hash = hash.clone();
        self.read(move |txn| get(&txn.open_table(TOKENS).map_err(db_err)?, hash.as_str()))
            .await
    }

    async fn abandoned_users(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<User>, Error> {
        self.read(move |txn| {
            let users = txn.open_table(USERS).map_err(db_err)?;
            let mut out = Vec::new();
            for entry in users.iter().map_err(db_err)? {
                let user: User = super::decode(entry.map_err(db_err)?.1.value())?;
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
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if !get::<User>(&users, id.as_str())?
                .is_some_and(|u| !u.email_verified && u.version == version)
            {
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
            Ok(true)
        })
        .await
    }

    async fn ping(&self) -> Result<(), Error> {
        self.read(|txn| {
            txn.open_table(USERS)
                .map_err(db_err)?
                .first()
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
