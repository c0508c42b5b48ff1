//! `UserStore` on DynamoDB: the user, its email claim and its tokens live in the users table.

use super::{DynamoStore, Item, build_err, from_item, s, text, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::{
    Email, OneTimeTokenRecord, Role, SessionId, TokenHash, TokenPurpose, User, UserId,
};
use crate::ports::{
    AdminChange, AuditAppend, Audited, CreateUser, Page, SaveRoles, UserFilter, UserOrder,
    UserStore,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The users-table index of accounts not yet verified: hash `unverifiedShard` (always `U`),
/// range `createdEpoch`. Only unverified accounts carry those attributes.
pub const UNVERIFIED_INDEX: &str = "unverifiedByCreation";

/// The users-table indexes of every account, for the admin list: hash `directory` (always `U`),
/// range the id (creation order) or the address.
pub const BY_CREATION_INDEX: &str = "usersByCreation";
pub const BY_EMAIL_INDEX: &str = "usersByEmail";

/// The item counting administrators (attribute `holders`).
const ADMINS_PK: &str = "ROLE#ADMIN";

/// A user as an item, in the directory indexes; an unverified one also enters the
/// `unverifiedByCreation` index.
fn user_item(user: &User) -> Result<super::Item, Error> {
    let mut item = to_item(user_pk(&user.id), user, None)?;
    item.insert("directory".into(), s("U"));
    item.insert("dirCreated".into(), s(user.id.as_str()));
    item.insert("dirEmail".into(), s(user.email.as_str()));
    if !user.email_verified {
        item.insert("unverifiedShard".into(), s("U"));
        item.insert(
            "createdEpoch".into(),
            AttributeValue::N(user.created_at.unix_timestamp().to_string()),
        );
    }
    Ok(item)
}

pub(crate) fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}

fn email_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

fn token_pk(hash: &TokenHash) -> String {
    format!("TOKEN#{}", hash.as_str())
}

/// Which items of a cancelled transaction failed their condition (`None` if it failed otherwise).
pub(crate) fn failed_conditions(
    err: &SdkError<TransactWriteItemsError>,
) -> Option<Vec<(bool, Option<Item>)>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| {
                    (
                        r.code() == Some("ConditionalCheckFailed"),
                        r.item().cloned(),
                    )
                })
                .collect(),
        ),
        _ => None,
    }
}

impl DynamoStore {
    /// The whole account, put only while the stored one is at `expected_version`.
    pub(crate) fn versioned_put(
        &self,
        user: &User,
        expected_version: u64,
    ) -> Result<TransactWriteItem, Error> {
        let put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(user_item(user)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Adds `delta` to the count of administrators; a removal holds only while another remains.
    fn count_admins(&self, delta: i64) -> Result<Update, Error> {
        let mut update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(ADMINS_PK))
            .update_expression("ADD holders :d")
            .expression_attribute_values(":d", AttributeValue::N(delta.to_string()));
        if delta < 0 {
            update = update
                .condition_expression("holders > :one")
                .expression_attribute_values(":one", AttributeValue::N("1".into()));
        }
        update.build().map_err(build_err)
    }

    async fn claimed_by(&self, email: &Email) -> Result<Option<UserId>, Error> {
        let item = self.get(&self.tables.users, email_pk(email)).await?;
        Ok(item.and_then(|i| match i.get("userId") {
            Some(AttributeValue::S(id)) => UserId::parse(id),
            _ => None,
        }))
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user_audited(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<CreateUser>, Error> {
        let table = &self.tables.users;
        let claim = Put::builder()
            .table_name(table)
            .item("pk", s(email_pk(&user.email)))
            .item("userId", s(user.id.as_str()))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_err)?;
        let account = Put::builder()
            .table_name(table)
            .set_item(Some(user_item(user)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let token = Put::builder()
            .table_name(table)
            .set_item(Some(to_item(
                token_pk(&verification.hash),
                verification,
                Some(verification.expires_at),
            )?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let mut items: Vec<TransactWriteItem> = [claim, account, token]
            .map(|p| TransactWriteItem::builder().put(p).build())
            .to_vec();
        if user.roles.contains(&Role::Admin) {
            items.push(
                TransactWriteItem::builder()
                    .update(self.count_admins(1)?)
                    .build(),
            );
        }
        let own = items.len();
        if let Some(a) = audit {
            let table = &self.tables.audit;
            items.extend(super::audit::append_items(table, a.event, a.expected)?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Audited::Stored(CreateUser::Created)),
            Err(err) => match failed_conditions(&err).as_deref() {
                Some([(true, old), ..]) => {
                    let from_reason = old.as_ref().and_then(|i| match i.get("userId") {
                        Some(AttributeValue::S(id)) => UserId::parse(id),
                        _ => None,
                    });
                    let existing = match from_reason {
                        Some(id) => Some(id),
                        None => self.claimed_by(&user.email).await?,
                    };
                    match existing {
                        // The claim is this user's own: an earlier attempt of this very call
                        // landed and its answer was lost (the SDK retried after a timeout).
                        Some(id) if id == user.id => Ok(Audited::Stored(CreateUser::Created)),
                        Some(id) => Ok(Audited::Refused(CreateUser::EmailTaken(id))),
                        None => Err(Error::internal("email claim vanished during registration")),
                    }
                }
                Some(reasons)
                    if audit.is_some()
                        && (super::raced(&err) || reasons.get(own + 1).is_some_and(|r| r.0)) =>
                {
                    Ok(Audited::HeadMoved)
                }
                _ => Err(sdk_error("dynamodb TransactWriteItems (create user)", err)),
            },
        }
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, Error> {
        // An unclaimed address still costs the second read (of an id nobody holds), so the
        // time of a lookup says nothing about whether the account exists.
        let claimed = self.claimed_by(email).await?;
        let id = claimed
            .clone()
            .unwrap_or_else(|| UserId::new(OffsetDateTime::now_utc()));
        let user = self.user_by_id(&id).await?;
        Ok(user.filter(|_| claimed.is_some()))
    }

    async fn holder_of_email(&self, email: &Email) -> Result<Option<UserId>, Error> {
        self.claimed_by(email).await
    }

    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, Error> {
        self.get(&self.tables.users, user_pk(id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn redeem_email_verification(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, Error> {
        let table = &self.tables.users;
        let record: Option<OneTimeTokenRecord> = self
            .get(table, token_pk(token))
            .await?
            .map(from_item)
            .transpose()?;
        let Some(record) = record.filter(|r| r.is_live(TokenPurpose::EmailVerification, now))
        else {
            return Ok(None);
        };
        // Spending the token and verifying the user is one transaction: if another request spent
        // the token first, the delete's condition fails and nothing changes.
        let spend = Delete::builder()
            .table_name(table)
            .key("pk", s(token_pk(token)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        // A mark of this call: if an attempt of it lands but its answer is lost, the SDK's retry
        // fails its conditions, and finding the mark tells it the work is done.
        let mark = crate::crypto::hex(&crate::crypto::random::bytes32()[..16]);
        let verify = Update::builder()
            .table_name(table)
            .key("pk", s(user_pk(&record.user_id)))
            .update_expression("SET emailVerified = :yes, verifiedBy = :mark, version = version + :one REMOVE unverifiedShard, createdEpoch")
            .expression_attribute_values(":mark", s(mark.as_str()))
            // Once the address is verified (by this link, another, or a reset), every other
            // verification link of it is dead; so is a link issued before the password last
            // changed (a seeded administrator's address registered by someone else first).
            .condition_expression(if record.credential_epoch == 0 {
                "attribute_exists(pk) AND emailVerified = :no AND (attribute_not_exists(credentialEpoch) OR credentialEpoch = :epoch)"
            } else {
                "attribute_exists(pk) AND emailVerified = :no AND credentialEpoch = :epoch"
            })
            .expression_attribute_values(
                ":epoch",
                AttributeValue::N(record.credential_epoch.to_string()),
            )
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().delete(spend).build(),
            TransactWriteItem::builder().update(verify).build(),
        ];
        // If another request spent the token first, the delete's condition fails.
        if self.transact(items, "verify email").await? {
            return Ok(Some(record.user_id));
        }
        let user = self.get(table, user_pk(&record.user_id)).await?;
        let landed = user.is_some_and(|u| u.get("verifiedBy") == Some(&s(mark)));
        Ok(landed.then_some(record.user_id))
    }

    async fn revoke_sessions_before(
        &self,
        user: &UserId,
        now: OffsetDateTime,
        keep: Option<&SessionId>,
    ) -> Result<(), Error> {
        let at = now
            .format(&Rfc3339)
            .map_err(|e| Error::internal(format!("formatting a time: {e}")))?;
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(user_pk(user)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", AttributeValue::S(at))
            .expression_attribute_values(":one", AttributeValue::N("1".into()));
        update = match keep {
            Some(kept) => update
                .update_expression(
                    "SET sessionsNotBefore = :now, sessionKept = :kept, version = version + :one",
                )
                .expression_attribute_values(":kept", s(kept.as_str())),
            None => update.update_expression(
                "SET sessionsNotBefore = :now, version = version + :one REMOVE sessionKept",
            ),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) if super::condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error("dynamodb UpdateItem (revoke sessions)", e)),
        }
    }

    async fn save_user(
        &self,
        user: &User,
        expected_version: u64,
        spend: Option<&TokenHash>,
    ) -> Result<bool, Error> {
        let table = &self.tables.users;
        let mut items = vec![self.versioned_put(user, expected_version)?];
        if let Some(hash) = spend {
            let delete = Delete::builder()
                .table_name(table)
                .key("pk", s(token_pk(hash)))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(build_err)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        if self.transact(items, "save user").await? {
            return Ok(true);
        }
        // The stored account being exactly this one (a new hash has a fresh salt) means an
        // earlier attempt of this call landed and its answer was lost.
        Ok(self.user_by_id(&user.id).await?.as_ref() == Some(user))
    }

    async fn put_token(&self, token: &OneTimeTokenRecord) -> Result<(), Error> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(to_item(
                token_pk(&token.hash),
                token,
                Some(token.expires_at),
            )?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A token's key is the hash of 256 random bits: one already there is this one, put
            // by an attempt whose answer was lost.
            Err(e) if super::condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error("dynamodb PutItem (token)", e)),
        }
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<OneTimeTokenRecord>, Error> {
        self.get(&self.tables.users, token_pk(hash))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn abandoned_users(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<User>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(UNVERIFIED_INDEX)
            .key_condition_expression("unverifiedShard = :u AND createdEpoch < :cut")
            .expression_attribute_values(":u", s("U"))
            .expression_attribute_values(
                ":cut",
                AttributeValue::N(created_before.unix_timestamp().to_string()),
            )
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb Query (unverified users)", e))?;
        let users: Vec<User> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(users
            .into_iter()
            .filter(|u| !u.email_verified && u.created_at < created_before)
            .collect())
    }

    async fn delete_unverified(&self, user: &User) -> Result<bool, Error> {
        let table = &self.tables.users;
        let account = Delete::builder()
            .table_name(table)
            .key("pk", s(user_pk(&user.id)))
            .condition_expression(
                "version = :v AND emailVerified = :no AND NOT contains(#roles, :admin)",
            )
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_values(":admin", s(Role::Admin.as_str()))
            .expression_attribute_values(":v", AttributeValue::N(user.version.to_string()))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .map_err(build_err)?;
        let claim = Delete::builder()
            .table_name(table)
            .key("pk", s(email_pk(&user.email)))
            .condition_expression("userId = :id")
            .expression_attribute_values(":id", s(user.id.as_str()))
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().delete(account).build(),
            TransactWriteItem::builder().delete(claim).build(),
        ];
        self.transact(items, "delete unverified").await
    }

    async fn ping(&self) -> Result<(), Error> {
        self.client
            .get_item()
            .table_name(&self.tables.users)
            .key("pk", s("HEALTH"))
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb GetItem (health)", e))?;
        Ok(())
    }

    async fn list_users(
        &self,
        order: UserOrder,
        filter: &UserFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<User>, Error> {
        let by_email = order == UserOrder::Email;
        let (index, range) = if by_email {
            (BY_EMAIL_INDEX, "dirEmail")
        } else {
            (BY_CREATION_INDEX, "dirCreated")
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(index)
            .expression_attribute_values(":d", s("U"))
            .scan_index_forward(order != UserOrder::CreatedDesc);
        let mut filters = Vec::new();
        match (&filter.email_prefix, by_email) {
            (Some(prefix), true) => {
                query = query
                    .key_condition_expression("directory = :d AND begins_with(dirEmail, :p)")
                    .expression_attribute_values(":p", s(prefix.as_str()));
            }
            (Some(prefix), false) => {
                query = query
                    .key_condition_expression("directory = :d")
                    .expression_attribute_values(":p", s(prefix.as_str()));
                filters.push("begins_with(email, :p)");
            }
            (None, _) => query = query.key_condition_expression("directory = :d"),
        }
        if let Some(role) = filter.role {
            query = query.expression_attribute_values(":r", s(role.as_str()));
            filters.push("contains(#roles, :r)");
            query = query.expression_attribute_names("#roles", "roles");
        }
        if let Some(verified) = filter.verified {
            query = query.expression_attribute_values(":v", AttributeValue::Bool(verified));
            filters.push("emailVerified = :v");
        }
        if !filters.is_empty() {
            query = query.filter_expression(filters.join(" AND "));
        }
        // A position is the id (creation order) or `<email>|<id>` (address order).
        let start = after.and_then(|p| {
            let (sort, id) = if by_email {
                let (email, id) = p.rsplit_once('|')?;
                (email, id)
            } else {
                (p, p)
            };
            Some(Item::from([
                ("pk".to_owned(), s(format!("USER#{id}"))),
                ("directory".to_owned(), s("U")),
                (range.to_owned(), s(sort)),
            ]))
        });
        let read = self.collect(query, start, limit + 1, "users").await?;
        read.page(limit, |item| {
            let id = text(item, "dirCreated")?;
            Some(if by_email {
                format!("{}|{id}", text(item, "dirEmail")?)
            } else {
                id.to_owned()
            })
        })
    }

    async fn save_roles(
        &self,
        user: &User,
        expected_version: u64,
        change: AdminChange,
    ) -> Result<SaveRoles, Error> {
        let mut items = vec![self.versioned_put(user, expected_version)?];
        let delta = match change {
            AdminChange::Unchanged => None,
            AdminChange::Granted => Some(1),
            AdminChange::Revoked => Some(-1),
        };
        if let Some(delta) = delta {
            items.push(
                TransactWriteItem::builder()
                    .update(self.count_admins(delta)?)
                    .build(),
            );
        }
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(SaveRoles::Saved),
            Err(err) => err,
        };
        match failed_conditions(&err).as_deref() {
            Some([(false, _), (true, _)]) => Ok(SaveRoles::LastAdmin),
            Some(_) => {
                // The stored account being exactly this one means an earlier attempt landed.
                let landed = self.user_by_id(&user.id).await?.as_ref() == Some(user);
                Ok(if landed {
                    SaveRoles::Saved
                } else {
                    SaveRoles::Stale
                })
            }
            None => Err(sdk_error("dynamodb TransactWriteItems (save roles)", err)),
        }
    }
}
