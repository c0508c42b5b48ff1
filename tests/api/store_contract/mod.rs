//! The store contract: one suite of cases, run on the embedded store and on DynamoDB (moto).

mod audit;
mod audited;
mod directory;
mod guards;
mod ledger;
mod resources;
mod sessions;
mod users;

pub use audit::*;
pub use audited::*;
pub use directory::*;
pub use guards::*;
pub use ledger::*;
pub use resources::*;
pub use sessions::*;
pub use users::*;

use crate::support::moto;
use latch_core::adapters::dynamo::DynamoStore;
use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::domain::{
    AuditEvent, AuditType, ClientInfo, Email, OneTimeToken, OneTimeTokenRecord, Outcome,
    PasswordHash, RefreshTokenRecord, Session, TokenPurpose, User,
};
use latch_core::domain::{Lock, LockKind};
use latch_core::ports::{
    AuditLog, Counters, CreateUser, Locks, SessionStore, SpendLedger, UserStore,
};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The three ports of one backend, and what keeps it alive.
pub struct Stores {
    pub counters: Arc<dyn Counters>,
    pub locks: Arc<dyn Locks>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub audit: Arc<dyn AuditLog>,
    pub ledger: Arc<dyn SpendLedger>,
    pub resources: Arc<dyn latch_core::ports::Resources>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn embedded() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let s = EmbeddedStore::open(&dir.path().join("latch.redb")).unwrap();
    Stores {
        counters: Arc::new(s.clone()),
        locks: Arc::new(s.clone()),
        users: Arc::new(s.clone()),
        sessions: Arc::new(s.clone()),
        audit: Arc::new(s.clone()),
        ledger: Arc::new(s.clone()),
        resources: Arc::new(s),
        _dir: Some(dir),
    }
}

pub async fn dynamodb() -> Stores {
    let client = aws_sdk_dynamodb::Client::new(&moto::aws().await);
    let names = moto::tables(&client).await;
    let s = DynamoStore::new(client, names);
    Stores {
        counters: Arc::new(s.clone()),
        locks: Arc::new(s.clone()),
        users: Arc::new(s.clone()),
        sessions: Arc::new(s.clone()),
        audit: Arc::new(s.clone()),
        ledger: Arc::new(s.clone()),
        resources: Arc::new(s),
        _dir: None,
    }
}

pub fn now() -> OffsetDateTime {
    // Whole microseconds survive every encoding unchanged.
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap()
}

pub fn user(email: &str) -> User {
    User::register(
        Email::parse(email).unwrap(),
        PasswordHash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        now(),
    )
}

pub fn token(user: &User, purpose: TokenPurpose, ttl: Duration) -> OneTimeTokenRecord {
    let epoch = (user.id.clone(), user.credential_epoch);
    OneTimeTokenRecord::issue(OneTimeToken::generate().hash, purpose, epoch, now(), ttl)
}

/// Stores `u` with a verification token valid for an hour.
pub async fn create(users: &dyn UserStore, u: &User) {
    let verification = token(u, TokenPurpose::EmailVerification, Duration::hours(1));
    users.create_user(u, &verification).await.unwrap();
}

pub fn unique_email() -> String {
    format!("{}@example.com", moto::unique("c"))
}

/// Generates one test per case for each backend, so the two cannot drift apart silently.
macro_rules! contract_suite {
    ($($case:ident),* $(,)?) => {
        mod on_embedded {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::embedded().await).await
            })*
        }
        mod on_dynamodb {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::dynamodb().await).await
            })*
        }
    };
}

contract_suite!(
    charges_add_up_within_the_cap_and_one_past_it_is_refused_whole,
    a_replayed_key_returns_the_first_charge_and_charges_nothing,
    fifty_racing_charges_at_a_cap_that_fits_ten_record_ten,
    the_cap_notice_is_claimed_once_per_month,
    a_charge_against_a_cap_read_from_an_older_account_writes_nothing,
    creates_and_reads_back_a_user,
    mfa_state_and_a_bound_mfa_token_round_trip,
    two_writes_of_one_version_with_one_token_land_once,
    a_taken_email_names_its_owner_and_stores_nothing,
    concurrent_creates_of_one_email_make_one_user,
    a_verification_token_is_spent_with_its_effect,
    expired_and_foreign_purpose_tokens_do_nothing,
    concurrent_redemptions_of_one_token_succeed_once,
    a_verification_link_is_dead_once_the_address_is_verified,
    a_verification_link_from_before_a_new_password_is_dead,
    a_session_is_created_only_for_the_current_password,
    a_sessions_wrong_passwords_are_counted_atomically_and_survive_rotation,
    sessions_are_stored_and_revoked_once,
    refresh_rotation_is_one_conditional_write,
    concurrent_rotations_of_one_token_have_one_winner,
    a_users_sessions_are_listed_newest_first,
    mass_revocation_is_one_write_on_the_user,
    saving_a_user_is_optimistic_and_spends_its_token,
    counters_count_every_hit_per_window,
    locks_are_kept_cleared_conditionally_and_listed_when_expired,
    abandoned_accounts_are_listed_and_deleted_only_while_unverified,
    audit_appends_are_conditional_on_the_head_and_never_overwrite,
    audit_search_filters_by_index_newest_first_and_pages_by_position,
    audit_chains_read_in_order_with_their_predecessors,
    accounts_list_in_each_order_filtered_and_paged_by_key,
    the_last_administrator_cannot_be_demoted_even_by_racing_writes,
    an_automatic_lock_never_replaces_an_administrators,
    an_unverified_administrator_is_never_deleted_as_abandoned,
    resources_are_reserved_with_their_name_and_count_and_released_whole,
    a_session_and_its_event_are_one_write,
    an_account_and_its_event_are_one_write,
    a_session_and_its_account_are_read_in_one_call
);

#[tokio::test]
async fn the_embedded_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latch.redb");
    let u = user(&unique_email());
    {
        let s = EmbeddedStore::open(&path).unwrap();
        create(&s, &u).await;
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    assert_eq!(reopened.user_by_email(&u.email).await.unwrap(), Some(u));
}
