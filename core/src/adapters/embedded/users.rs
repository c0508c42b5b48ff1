//! `UserStore` on the embedded store.

use super::{EMAILS, EmbeddedStore, ROLE_COUNTS, TOKENS, USERS, audit, db_err, get, put};
use crate::Error;
use crate::domain::{
    Email, OneTimeTokenRecord, Role, SessionId, TokenHash, TokenPurpose, User, UserId,
};
use crate::ports::{
    AdminChange, AuditAppend, Audited, CreateUser, Page, SaveRoles, UserFilter, UserOrder,
    UserStore,
};
use async_trait::async_trait;
use redb::ReadableTable;
use time::OffsetDateTime;

const ADMINS: &str = "admins";

/// Adds `delta` to the count of administrators; `false` (nothing changed) when that would leave
/// none.
fn count_admins(txn: &redb::WriteTransaction, delta: i64) -> Result<bool, Error> {
    let mut counts = txn.open_table(ROLE_COUNTS).map_err(db_err)?;
    let now = counts.get(ADMINS).map_err(db_err)?.map_or(0, |v| v.value());
    let next = now.saturating_add_signed(delta);
    if delta < 0 && next == 0 {
        return Ok(false);
    }
    counts.insert(ADMINS, next).map_err(db_err)?;
    Ok(true)
}

/// One page of accounts in `order` after `after`: ids are ULIDs, so the users table in key
/// order is creation order, and the email claims in key order are address order.
fn users_page(
    txn: &redb::ReadTransaction,
    order: UserOrder,
    filter: &UserFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<User>, Error> {
    let users = txn.open_table(USERS).map_err(db_err)?;
    let emails = txn.open_table(EMAILS).map_err(db_err)?;
    let admits = |u: &User| {
        filter
            .email_prefix
            .as_ref()
            .is_none_or(|p| u.email.as_str().starts_with(p.as_str()))
            && filter.role.is_none_or(|r| u.roles.contains(&r))
            && filter.verified.is_none_or(|v| u.email_verified == v)
    };
    let mut items: Vec<User> = Vec::new();
    let mut next = None;
    let mut take = |user: User, key: String| {
        if !admits(&user) {
            return true;
        }
        if items.len() == limit {
            next = Some(key);
            return false;
        }
        items.push(user);
        true
    };
    match order {
        UserOrder::Created | UserOrder::CreatedDesc => {
            let entries = match (order, after) {
                (UserOrder::Created, Some(a)) => {
                    users.range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                }
                (UserOrder::CreatedDesc, Some(a)) => users.range::<&str>(..a),
                _ => users.range::<&str>(..),
            }
            .map_err(db_err)?;
            let entries: Box<dyn Iterator<Item = _>> = if order == UserOrder::Created {
                Box::new(entries)
            } else {
                Box::new(entries.rev())
            };
            for entry in entries {
                let (_, v) = entry.map_err(db_err)?;
                let user: User = super::decode(v.value())?;
                let key = user.id.to_string();
                if !take(user, key) {
                    break;
                }
            }
        }
        UserOrder::Email => {
            let start = match (after, &filter.email_prefix) {
                (Some(a), _) => std::ops::Bound::Excluded(a.to_owned()),
                (None, Some(p)) => std::ops::Bound::Included(p.clone()),
                (None, None) => std::ops::Bound::Unbounded,
            };
            let start = match &start {
                std::ops::Bound::Excluded(a) => std::ops::Bound::Excluded(a.as_str()),
                std::ops::Bound::Included(a) => std::ops::Bound::Included(a.as_str()),
                std::ops::Bound::Unbounded => std::ops::Bound::Unbounded,
            };
            for entry in emails
                .range::<&str>((start, std::ops::Bound::Unbounded))
                .map_err(db_err)?
            {
                let (email, id) = entry.map_err(db_err)?;
                let email = email.value().to_owned();
                if filter
                    .email_prefix
                    .as_ref()
                    .is_some_and(|p| !email.starts_with(p.as_str()))
                {
                    break;
                }
                let Some(user) = get::<User>(&users, id.value())? else {
                    continue;
                };
                if !take(user, email) {
                    break;
                }
            }
        }
    }
    // The position is that of the last account shown: the next page starts after it.
    if next.is_some() {
        next = items.last().map(|u| match order {
            UserOrder::Email => u.email.to_string(),
            _ => u.id.to_string(),
        });
    }
    Ok(Page { items, next })
}

#[async_trait]
impl UserStore for EmbeddedStore {
    async fn create_user_audited(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<CreateUser>, Error> {
        let (user, token, audit) = (user.clone(), verification.clone(), audit::owned(audit));
        self.write(move |txn| {
            if let Some((event, expected)) = &audit
                && !audit::head_is(txn, event, expected.as_ref())?
            {
                return Ok(Audited::HeadMoved);
            }
            let mut emails = txn.open_table(EMAILS).map_err(db_err)?;
            if let Some(existing) = emails.get(user.email.as_str()).map_err(db_err)? {
                let id = UserId::parse(existing.value())
                    .ok_or_else(|| Error::internal("corrupt email claim"))?;
                return Ok(Audited::Refused(CreateUser::EmailTaken(id)));
            }
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if users.get(user.id.as_str()).map_err(db_err)?.is_some() {
                return Err(Error::internal("user id collision"));
            }
            emails
                .insert(user.email.as_str(), user.id.as_str())
                .map_err(db_err)?;
            put(&mut users, user.id.as_str(), &user)?;
            if user.roles.contains(&Role::Admin) {
                count_admins(txn, 1)?;
            }
            put(
                &mut txn.open_table(TOKENS).map_err(db_err)?,
                token.hash.as_str(),
                &token,
            )?;
            if let Some((event, _)) = &audit {
                audit::store(txn, event)?;
            }
            Ok(Audited::Stored(CreateUser::Created))
        })
        .await
    }

    async fn holder_of_email(&self, email: &Email) -> Result<Option<UserId>, Error> {
        let email = email.clone();
        self.read(move |txn| {
            let emails = txn.open_table(EMAILS).map_err(db_err)?;
            let claimed = emails.get(email.as_str()).map_err(db_err)?;
            claimed
                .map(|v| {
                    UserId::parse(v.value()).ok_or_else(|| Error::internal("corrupt email claim"))
                })
                .transpose()
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
            let Some(mut user) = get::<User>(&users, record.user_id.as_str())?
                .filter(|u| !u.email_verified && record.matches_password_of(u))
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
            if !get::<User>(&users, id.as_str())?.is_some_and(|u| {
                !u.email_verified && u.version == version && !u.roles.contains(&Role::Admin)
            }) {
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

    async fn list_users(
        &self,
        order: UserOrder,
        filter: &UserFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<User>, Error> {
        let (filter, after) = (filter.clone(), after.map(str::to_owned));
        self.read(move |txn| users_page(txn, order, &filter, after.as_deref(), limit))
            .await
    }

    async fn save_roles(
        &self,
        user: &User,
        expected_version: u64,
        change: AdminChange,
    ) -> Result<SaveRoles, Error> {
        let user = user.clone();
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if get::<User>(&users, user.id.as_str())?.is_none_or(|s| s.version != expected_version)
            {
                return Ok(SaveRoles::Stale);
            }
            let counted = match change {
                AdminChange::Unchanged => true,
                AdminChange::Granted => count_admins(txn, 1)?,
                AdminChange::Revoked => count_admins(txn, -1)?,
            };
            if !counted {
                return Ok(SaveRoles::LastAdmin);
            }
            put(&mut users, user.id.as_str(), &user)?;
            Ok(SaveRoles::Saved)
        })
        .await
    }
}

impl EmbeddedStore {
    /// Applies `User::after_restore` to every account in one write (a restore's last step):
    /// how many accounts it reset.
    pub async fn reset_after_restore(&self, now: time::OffsetDateTime) -> Result<usize, Error> {
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            let mut all: Vec<(String, User)> = Vec::new();
            for row in users.iter().map_err(db_err)? {
                let (key, value) = row.map_err(db_err)?;
                all.push((key.value().to_owned(), super::decode(value.value())?));
            }
            for (key, user) in &mut all {
                user.after_restore(now);
                put(&mut users, key, user)?;
            }
            Ok(all.len())
        })
        .await
    }
}
