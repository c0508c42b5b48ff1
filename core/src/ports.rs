//! The narrow traits services depend on. Adapters implement them; tests swap them.

use crate::Error;
use crate::crypto::SecretMaterial;
use crate::domain::{
    AuditEvent, AuditQuery, ChainHead, Charge, Email, Lock, Mail, OneTimeTokenRecord,
    RefreshTokenRecord, Role, Session, SessionId, TokenHash, User, UserId,
};
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

/// What `UserStore::create_user` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUser {
    Created,
    /// The email belongs to this existing account; nothing was written.
    EmailTaken(UserId),
}

/// One page of a list, and where the next one starts: an opaque position the same store reads
/// back (`None`: nothing follows). The service seals it into a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The orders an account list comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrder {
    /// Oldest first (ids are ULIDs: creation order).
    Created,
    /// Newest first.
    CreatedDesc,
    /// By email address.
    Email,
}

/// What an account list may be narrowed by in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Normalized addresses beginning with this.
    pub email_prefix: Option<String>,
    pub role: Option<Role>,
    pub verified: Option<bool>,
}

/// What a write that may change who holds `ADMIN` does to the count of administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Unchanged,
    Granted,
    /// Holds only while another administrator remains.
    Revoked,
}

/// What `UserStore::save_roles` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveRoles {
    Saved,
    /// The account moved past the expected version: nothing written.
    Stale,
    /// It is the last administrator: nothing written.
    LastAdmin,
}

/// An audit event linked after `expected` (its partition's head as last read), to be stored in
/// the same write as the change it records, with the head moved to it, only while the head is
/// still `expected`.
#[derive(Debug, Clone, Copy)]
pub struct AuditAppend<'a> {
    pub event: &'a AuditEvent,
    pub expected: Option<&'a ChainHead>,
}

/// What a change that carries an audit event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audited<T> {
    /// The change and its event are stored; `T` is what the change reports.
    Stored(T),
    /// The change's own conditions refused it (`T` says how): nothing was written, the event
    /// neither.
    Refused(T),
    /// The event's partition head moved on: nothing was written; link to a newer head, retry.
    HeadMoved,
}

impl<T> Audited<T> {
    /// The outcome of a write that carried no event (which no head can refuse).
    fn unaudited(self) -> Result<T, Error> {
        match self {
            Audited::Stored(t) | Audited::Refused(t) => Ok(t),
            Audited::HeadMoved => Err(Error::internal("a write without an audit event")),
        }
    }
}

/// Accounts, the email-uniqueness claim and one-time tokens.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Writes the user, claims its email and stores its verification token, all or nothing.
    async fn create_user(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
    ) -> Result<CreateUser, Error> {
        self.create_user_audited(user, verification, None)
            .await?
            .unaudited()
    }
    /// `create_user`, storing `audit` in the same write: `Stored(Created)`, or
    /// `Refused(EmailTaken)` with nothing written.
    async fn create_user_audited(
        &self,
        user: &User,
        verification: &OneTimeTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<CreateUser>, Error>;
    /// The account holding `email`, read consistently; an unclaimed address costs the same
    /// reads as a claimed one.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, Error>;
    /// The id of the account holding `email`, read consistently (one read: a login reads the
    /// account by id next, beside other reads that need only the id).
    async fn holder_of_email(&self, email: &Email) -> Result<Option<UserId>, Error>;
    /// The account with `id`, read consistently.
    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, Error>;
    /// Spends a live email-verification token and marks its user verified in the same write.
    /// `None` when the token is unknown, expired, of another purpose or already spent.
    async fn redeem_email_verification(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, Error>;
    /// Voids every session of the user created before `now`, except `keep` (one write; every
    /// authenticated call and refresh checks it through `User::allows`).
    async fn revoke_sessions_before(
        &self,
        user: &UserId,
        now: OffsetDateTime,
        keep: Option<&SessionId>,
    ) -> Result<(), Error>;
    /// Writes `user` whole if the stored version is still `expected_version` (the caller has set
    /// `user.version` to the next one), spending the one-time token `spend` in the same write.
    /// `false` when the version moved on or the token is gone; nothing is written then.
    async fn save_user(
        &self,
        user: &User,
        expected_version: u64,
        spend: Option<&TokenHash>,
    ) -> Result<bool, Error>;
    /// Stores a one-time token (password reset, a new verification token).
    async fn put_token(&self, token: &OneTimeTokenRecord) -> Result<(), Error>;
    /// The one-time token with this hash, live or not, without spending it.
    async fn token(&self, hash: &TokenHash) -> Result<Option<OneTimeTokenRecord>, Error>;
    /// Accounts never verified and created before `created_before`, oldest first, at most `limit`.
    async fn abandoned_users(
        &self,
        created_before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<User>, Error>;
    /// Deletes a never-verified account and its email claim, if it is still unverified at
    /// `user.version` and holds no ADMIN (it is counted among the administrators). `false`
    /// otherwise; nothing is deleted then.
    async fn delete_unverified(&self, user: &User) -> Result<bool, Error>;
    /// A cheap read proving the store answers (for `/v1/health`).
    async fn ping(&self) -> Result<(), Error>;
    /// Accounts passing `filter` in `order`, at most `limit`, after position `after` (from a
    /// previous page's `next`). Positions are keys, not offsets: accounts added meanwhile never
    /// shift a page. A page may come short (even empty) with a `next` when the filter passed
    /// over many accounts; an index serves it on DynamoDB, never a scan.
    async fn list_users(
        &self,
        order: UserOrder,
        filter: &UserFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<User>, Error>;
    /// Writes `user` as `save_user` does and keeps the count of administrators in step in the
    /// same write (`create_user` counts a new account that holds `ADMIN`), so two demotions
    /// racing can never leave none.
    async fn save_roles(
        &self,
        user: &User,
        expected_version: u64,
        change: AdminChange,
    ) -> Result<SaveRoles, Error>;
}

/// Sessions and their refresh-token families.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session with the hash of its first refresh token, all or nothing, and only
    /// while its user's stored credential epoch is still `session.credential_epoch` (checked in
    /// the same write). `false` when the password changed meanwhile; nothing is written then.
    async fn create_session(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
    ) -> Result<bool, Error> {
        let created = self.create_session_audited(session, refresh, None).await?;
        Ok(matches!(created, Audited::Stored(())))
    }
    /// `create_session`, storing `audit` in the same write (`Refused` when the password changed).
    async fn create_session_audited(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
        audit: Option<AuditAppend<'_>>,
    ) -> Result<Audited<()>, Error>;
    /// The session with `id`, read consistently (revocations take effect at once).
    async fn session(&self, id: &SessionId) -> Result<Option<Session>, Error>;
    /// The session with `id` and the account `user`, read consistently in one call (a bearer
    /// call and a refresh authenticate with it).
    async fn session_with_user(
        &self,
        id: &SessionId,
        user: &UserId,
    ) -> Result<(Option<Session>, Option<User>), Error>;
    /// Marks the session revoked at `now`; revoking twice keeps the first time.
    async fn revoke_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<(), Error>;
    /// The refresh token with this hash, spent or not.
    async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<RefreshTokenRecord>, Error>;
    /// Rotation, as one conditional write: marks `old` spent at `rotated.last_used_at`, stores
    /// `next`, and saves `rotated` (whose `refresh_hash` is `next`'s) — only if the stored session
    /// is not revoked, `old` is its current token and `old` is unspent. `false` when another
    /// request won the race or the session was revoked meanwhile; nothing is written then.
    async fn rotate_refresh(
        &self,
        rotated: &Session,
        old: &TokenHash,
        next: &RefreshTokenRecord,
    ) -> Result<bool, Error>;
    /// Adds one to the session's count of wrong passwords given with it, atomically, and returns
    /// the new count (0 when there is no such session). Rotation keeps the count.
    async fn count_password_failure(&self, id: &SessionId) -> Result<u64, Error>;
    /// The user's sessions, newest first (revoked ones included: the service judges), at most
    /// `limit`, after position `after` (from a previous page's `next`).
    async fn sessions_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Session>, Error>;
}

/// Atomic counters in fixed windows (rate limits, failed logins, mail per account). The window's
/// id is part of the key, so an expired window is never read; TTL only collects garbage.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Adds one to `key`'s counter for the window of length `window` containing `now`, and
    /// returns the new count. Concurrent hits are all counted.
    async fn hit(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error>;
    /// The count of the window containing `now`, without adding.
    async fn peek(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error>;
    /// Zeroes the counter of the window containing `now`.
    async fn clear(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<(), Error>;
}

/// Login locks, keyed by the normalized email whether or not an account exists.
#[async_trait]
pub trait Locks: Send + Sync {
    /// Sets (or replaces) the lock of `email`; an automatic lock never replaces an
    /// administrator's that is still active (it is dropped, and the stronger lock stays).
    async fn lock(&self, email: &Email, lock: &Lock) -> Result<(), Error>;
    /// The lock of `email`, expired or not.
    async fn lock_of(&self, email: &Email) -> Result<Option<Lock>, Error>;
    /// Removes the lock of `email` if it is still exactly `expected` (a newer lock stays).
    async fn clear_lock(&self, email: &Email, expected: &Lock) -> Result<bool, Error>;
    /// Locks whose time is up at `now`, oldest first, at most `limit`.
    async fn expired_locks(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<(Email, Lock)>, Error>;
}

/// What the CAPTCHA provider said of a token; the service decides whether it is good enough
/// (success, a configured hostname, the route's action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptchaVerdict {
    pub success: bool,
    /// The hostname of the page the widget was solved on.
    pub hostname: Option<String>,
    /// The action the widget was rendered for (`login`, `register`, `forgot-password`).
    pub action: Option<String>,
}

/// Verifies a CAPTCHA token (Cloudflare Turnstile's siteverify).
#[async_trait]
pub trait Captcha: Send + Sync {
    async fn verify(
        &self,
        token: &str,
        client_ip: std::net::IpAddr,
    ) -> Result<CaptchaVerdict, Error>;
}

/// What `SpendLedger::charge` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Recorded and added to the month's spend.
    Recorded,
    /// The user already has a charge under this idempotency key: this one, nothing written.
    Replayed(Charge),
    /// The month's spend plus this charge would pass the cap: nothing written.
    CapReached,
    /// The account moved past `account_version` (its cap may have changed): nothing written;
    /// read it again and retry.
    AccountChanged,
}

/// The spend ledger: charges and each user's spend per UTC month.
#[async_trait]
pub trait SpendLedger: Send + Sync {
    /// Records `charge` and adds its amount to its user's spend for its period, all or nothing,
    /// only while that spend stays at or below `cap_cents` (concurrent charges never pass it) and
    /// the account is still at `account_version` (the cap read from it still holds), checked in
    /// the same write. A charge under an idempotency key the user already used is `Replayed`
    /// with the stored one; `Recorded` when the stored one is this very charge (an attempt whose
    /// answer was lost).
    async fn charge(
        &self,
        charge: &Charge,
        cap_cents: u64,
        account_version: u64,
    ) -> Result<ChargeOutcome, Error>;
    /// The user's spend in `period` (`YYYY-MM`), 0 when nothing was charged; one read.
    async fn spent(&self, user: &UserId, period: &str) -> Result<u64, Error>;
    /// Marks that the user was told its cap was reached in `period`: `true` the first time.
    async fn claim_cap_notice(&self, user: &UserId, period: &str) -> Result<bool, Error>;
}

/// The append-only audit trail, in `domain::audit_chain::PARTITIONS` hash chains.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// The last event of chain `partition`, `None` before its first.
    async fn head(&self, partition: u16) -> Result<Option<ChainHead>, Error>;
    /// Stores `event` (already linked after `expected`) and moves its partition's head to it, in
    /// one write, only while the head is still `expected`: `false` when another append moved it
    /// first, and nothing is written then. The same event again (a retry whose answer was lost)
    /// is `true` and is stored once.
    async fn append(&self, event: &AuditEvent, expected: Option<&ChainHead>)
    -> Result<bool, Error>;
    /// Events passing `query`, newest first, at most `limit`, strictly older than position
    /// `before` (a previous page's `next`). Served by an index for the most selective filter.
    async fn search(
        &self,
        query: &AuditQuery,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error>;
    /// The events of chain `partition` from `from` to `to`, in chain order, at most `limit`
    /// after position `after`.
    async fn chain(
        &self,
        partition: u16,
        from: OffsetDateTime,
        to: OffsetDateTime,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error>;
    /// The stored event just before `event` in its chain (whatever its seq), if there is one.
    async fn chain_before(&self, event: &AuditEvent) -> Result<Option<AuditEvent>, Error>;
}

/// What `Resources::reserve` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    Reserved,
    /// Another resource of that kind has that name: nothing written.
    NameTaken,
    /// The account moved past the expected version: nothing written; read it and retry.
    AccountChanged,
}

/// What `Resources::release` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    Released,
    /// The record was released already (by another call): nothing written, no count lowered.
    Gone,
    /// The account moved past the expected version: nothing written; read it and retry.
    AccountChanged,
}

/// The records of provisioned resources, with their owners' counts kept in the same writes.
#[async_trait]
pub trait Resources: Send + Sync {
    /// Stores `resource`, claims its name within its kind, and writes `owner` (whose count of
    /// that kind the caller raised), all or nothing, only while the stored account is still at
    /// `expected_version`.
    async fn reserve(
        &self,
        resource: &crate::domain::provisioning::Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Reserve, Error>;
    /// Replaces the stored record (its status and detail moved on) only while its stored
    /// status is still `expected`: `false` otherwise (another call moved it), nothing written.
    async fn update(
        &self,
        resource: &crate::domain::provisioning::Resource,
        expected: crate::domain::provisioning::ResourceStatus,
    ) -> Result<bool, Error>;
    /// The resource with `id`, read consistently.
    async fn resource(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::provisioning::Resource>, Error>;
    /// Resources still `Creating` or `Deleting` that were made before `created_before`,
    /// oldest first, at most `limit`: calls that stopped half-way (the recovery job's work).
    async fn pending(
        &self,
        created_before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<crate::domain::provisioning::Resource>, Error>;
    /// The id of the resource holding `name` within `kind`, read consistently: what a check
    /// made after one's own write must read (the owner's list may lag behind on DynamoDB).
    async fn holder_of(
        &self,
        kind: crate::domain::provisioning::ResourceKind,
        name: &str,
    ) -> Result<Option<String>, Error>;
    /// The owner's resources of `kind`, oldest first (possibly a moment behind).
    async fn resources_of(
        &self,
        owner: &UserId,
        kind: crate::domain::provisioning::ResourceKind,
    ) -> Result<Vec<crate::domain::provisioning::Resource>, Error>;
    /// Deletes the record and its name claim and writes `owner` (its count lowered), all or
    /// nothing, only while the record is there and the account is at `expected_version`.
    async fn release(
        &self,
        resource: &crate::domain::provisioning::Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Release, Error>;
}

/// Secrets handed to tenants (a database password), kept where the deployment keeps secrets.
#[async_trait]
pub trait TenantSecrets: Send + Sync {
    /// Stores `value` under `name`, replacing one there.
    async fn put(&self, name: &str, value: &str) -> Result<(), Error>;
    /// Deletes `name` at once (no recovery window); an absent one is fine.
    async fn delete(&self, name: &str) -> Result<(), Error>;
    /// Whether `name` exists (for leftovers checks).
    async fn exists(&self, name: &str) -> Result<bool, Error>;
}

/// A zone of a domain: the provider's id and the reference it was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneOf {
    pub id: String,
    pub reference: String,
}

/// A hosted zone as its provider knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedZone {
    /// The provider's id of the zone.
    pub id: String,
    pub name_servers: Vec<String>,
}

/// DNS zones and their records at a provider (Route 53, or the embedded zone store).
#[async_trait]
pub trait Zones: Send + Sync {
    /// Makes a zone for `domain`; `reference` (a resource id) makes a retried call the same one.
    async fn create_zone(
        &self,
        domain: &crate::domain::dns::DomainName,
        reference: &str,
    ) -> Result<HostedZone, Error>;
    /// Deletes every record of zone `id` but its own (SOA, NS), then the zone; a zone already
    /// gone is fine.
    async fn delete_zone(&self, id: &str) -> Result<(), Error>;
    /// Adds `record`'s value to its record set (name and type) in zone `id`, with its TTL.
    async fn add_record(
        &self,
        id: &str,
        record: &crate::domain::dns::DnsRecord,
    ) -> Result<(), Error>;
    /// Removes `record`'s value from its record set; a value already gone is fine.
    async fn remove_record(
        &self,
        id: &str,
        record: &crate::domain::dns::DnsRecord,
    ) -> Result<(), Error>;
    /// The zones there are for `domain`, each with the reference it was made with (a creation
    /// that stopped before it learnt its zone's id finds it so; a leftovers check wants none).
    async fn zones_of(&self, domain: &crate::domain::dns::DomainName)
    -> Result<Vec<ZoneOf>, Error>;
    /// Every value of zone `id` but the zone's own SOA and NS, one record each, sorted; `None`
    /// when there is no such zone.
    async fn records(&self, id: &str) -> Result<Option<Vec<crate::domain::dns::DnsRecord>>, Error>;
}

/// What a provider's `create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    Created,
    /// Something of that name exists at the provider and is not this call's (a database or
    /// role, a sending identity made outside Latch): nothing was made.
    Taken,
}

impl Creation {
    /// What finding something already there, marked `there`, means for a call marked
    /// `reference`: its own (a retry) or another's.
    pub fn found(there: &str, reference: &str) -> Self {
        if there == reference {
            Creation::Created
        } else {
            Creation::Taken
        }
    }
}

/// Sending identities of mail domains at the mail provider (SES, or the embedded store), each
/// signing with the DKIM key Latch made for it and marked with the resource it belongs to.
#[async_trait]
pub trait MailDomains: Send + Sync {
    /// Makes `domain` an identity that signs with `key`, marked as `reference`'s. One already
    /// marked so (a retried call) is `Created`; one that is not is `Taken`, left as it was.
    async fn create_identity(
        &self,
        domain: &crate::domain::dns::DomainName,
        key: &crate::crypto::dkim::DkimKey,
        reference: &str,
    ) -> Result<Creation, Error>;
    /// Deletes `domain`'s identity when it is marked as `reference`'s; an absent one, or one
    /// that is not `reference`'s, is left alone.
    async fn delete_identity(
        &self,
        domain: &crate::domain::dns::DomainName,
        reference: &str,
    ) -> Result<(), Error>;
    /// The reference `domain`'s identity is marked with (`Some("")` for one Latch did not
    /// make), `None` when there is no identity.
    async fn identity_of(
        &self,
        domain: &crate::domain::dns::DomainName,
    ) -> Result<Option<String>, Error>;
}

/// Tenant databases on one PostgreSQL server: each owned by a role of its own name, and no other
/// role (PUBLIC included) may connect to it.
#[async_trait]
pub trait Databases: Send + Sync {
    /// Makes role `name` (LOGIN, `password`) and database `name` owned by it, connectable by
    /// that role alone; all or nothing (a step that fails undoes the ones before it, as
    /// `remove` would). The role is marked, in the write that makes it, as made for resource
    /// `owner`: the proof `remove` asks for.
    async fn create(
        &self,
        name: &crate::domain::provisioning::DatabaseName,
        password: &str,
        owner: &str,
    ) -> Result<Creation, Error>;
    /// Ends every connection to database `name`, then drops it and its role, only as far as
    /// they are proven made for resource `owner` (the role carries its mark, the database is
    /// owned by that role). Anything unproven is left untouched; what is already gone is fine.
    async fn remove(
        &self,
        name: &crate::domain::provisioning::DatabaseName,
        owner: &str,
    ) -> Result<(), Error>;
    /// Gives role `name` the mark of resource `owner` if it has no mark at all and owns the
    /// database of its name: for a resource that reached `Ready` before marks existed (its
    /// creation succeeded, so both are Latch's). Anything else is left as it is.
    async fn adopt(
        &self,
        name: &crate::domain::provisioning::DatabaseName,
        owner: &str,
    ) -> Result<(), Error>;
    /// Ends every tenant session whose transaction or running statement is older than `bound`
    /// (a bound the tenant cannot lift); how many it ended.
    async fn end_overlong(&self, bound: std::time::Duration) -> Result<u64, Error>;
    /// Whether database `name` exists.
    async fn exists(&self, name: &crate::domain::provisioning::DatabaseName)
    -> Result<bool, Error>;
    /// The host and port tenants connect to.
    fn endpoint(&self) -> (String, u16);
    /// A cheap query proving the server answers (for `/v1/health`).
    async fn ping(&self) -> Result<(), Error>;
}

/// One backup of one table, as the store lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBackup {
    /// What `delete` takes (a backup ARN; a folder name for the embedded store).
    pub id: String,
    /// The table it is of (the embedded store backs up as one table, `store`).
    pub table: String,
    pub name: String,
    pub created: OffsetDateTime,
}

/// On-demand backups of this system's tables (`backup-tables`).
#[async_trait]
pub trait Backups: Send + Sync {
    /// Backs every table up now, each backup named from `name` (letters, digits, `-`, `.`).
    async fn take(&self, name: &str) -> Result<Vec<TableBackup>, Error>;
    /// Every backup of this system's tables whose name starts with `prefix`, oldest first.
    async fn list(&self, prefix: &str) -> Result<Vec<TableBackup>, Error>;
    /// Deletes one; one already gone is fine.
    async fn delete(&self, backup: &TableBackup) -> Result<(), Error>;
}

/// Sends one message. Implementations never log the body (it may hold a one-time link).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), Error>;
    /// Does the work of `send` short of delivering `mail`, so that a request for an address
    /// with no account takes the time a known one does. A mailer whose work cannot be rehearsed
    /// without delivering (SES) does nothing here; `docs/DESIGN-NOTES.md` says what that leaves.
    async fn rehearse(&self, mail: &Mail) -> Result<(), Error>;
}

/// Where the secret material (signing keys, HMAC key) is kept.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The material at start-up (a local source may create it).
    async fn load(&self) -> Result<SecretMaterial, Error>;
    /// The material again, for a running process: never created anew (that would replace every
    /// key a process holds); a missing secret is an error.
    async fn reload(&self) -> Result<SecretMaterial, Error> {
        self.load().await
    }
}

/// A secret with Secrets Manager's version stages (`AWSCURRENT`, `AWSPENDING`), as its
/// rotation protocol uses them.
#[async_trait]
pub trait StagedSecret: Send + Sync {
    /// Each version id with its stages.
    async fn versions(&self) -> Result<Vec<(String, Vec<String>)>, Error>;
    /// The value of the version holding `AWSCURRENT`.
    async fn current_value(&self) -> Result<String, Error>;
    /// The value of version `id` under `AWSPENDING`, `None` when it has none yet.
    async fn pending_value(&self, id: &str) -> Result<Option<String>, Error>;
    /// Stores `value` as version `id` under `AWSPENDING`.
    async fn put_pending(&self, id: &str, value: &str) -> Result<(), Error>;
    /// Moves `AWSCURRENT` from version `from` to version `id`.
    async fn promote(&self, id: &str, from: &str) -> Result<(), Error>;
}

/// The time. Services never read the system clock directly.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
