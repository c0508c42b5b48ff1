//! The store contract: one suite of cases, run on the embedded store and on DynamoDB (moto).

use crate::support::moto;
use latch_core::adapters::dynamo::DynamoStore;
use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::domain::{
    AuditEvent, AuditType, ClientInfo, Email, OneTimeToken, OneTimeTokenRecord, Outcome,
    PasswordHash, RefreshTokenRecord, Session, TokenPurpose, User,
};
use latch_core::domain::{Lock, LockKind};
use latch_core::ports::{AuditLog, Counters, CreateUser, Locks, SessionStore, UserStore};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The three ports of one backend, and what keeps it alive.
pub struct Stores {
    counters: Arc<dyn Counters>,
    locks: Arc<dyn Locks>,
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    audit: Arc<dyn AuditLog>,
    _dir: Option<tempfile::TempDir>,
}

async fn embedded() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let s = EmbeddedStore::open(&dir.path().join("latch.redb")).unwrap();
    Stores {
        counters: Arc::new(s.clone()),
        locks: Arc::new(s.clone()),
        users: Arc::new(s.clone()),
        sessions: Arc::new(s.clone()),
        audit: Arc::new(s),
        _dir: Some(dir),
    }
}

async fn dynamodb() -> Stores {
    let client = aws_sdk_dynamodb::Client::new(&moto::aws().await);
    let names = moto::tables(&client).await;
    let s = DynamoStore::new(client, names);
    Stores {
        counters: Arc::new(s.clone()),
        locks: Arc::new(s.clone()),
        users: Arc::new(s.clone()),
        sessions: Arc::new(s.clone()),
        audit: Arc::new(s),
        _dir: None,
    }
}

fn now() -> OffsetDateTime {
    // Whole microseconds survive every encoding unchanged.
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap()
}

fn user(email: &str) -> User {
    User::register(
        Email::parse(email).unwrap(),
        PasswordHash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        now(),
    )
}

fn token(user: &User, purpose: TokenPurpose, ttl: Duration) -> OneTimeTokenRecord {
    OneTimeTokenRecord {
        hash: OneTimeToken::generate().hash,
        purpose,
        user_id: user.id.clone(),
        expires_at: now() + ttl,
    }
}

fn unique_email() -> String {
    format!("{}@example.com", moto::unique("c"))
}

pub async fn creates_and_reads_back_a_user(s: Stores) {
    let u = user(&unique_email());
    let t = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    assert_eq!(
        s.users.create_user(&u, &t).await.unwrap(),
        CreateUser::Created
    );
    assert_eq!(s.users.user_by_id(&u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        s.users.user_by_email(&u.email).await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(
        s.users
            .user_by_email(&Email::parse("absent@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
    s.users.ping().await.unwrap();
}

pub async fn a_taken_email_names_its_owner_and_stores_nothing(s: Stores) {
    let email = unique_email();
    let first = user(&email);
    s.users
        .create_user(
            &first,
            &token(&first, TokenPurpose::EmailVerification, Duration::hours(1)),
        )
        .await
        .unwrap();
    let second = user(&email);
    let second_token = token(&second, TokenPurpose::EmailVerification, Duration::hours(1));
    assert_eq!(
        s.users.create_user(&second, &second_token).await.unwrap(),
        CreateUser::EmailTaken(first.id.clone())
    );
    assert_eq!(
        s.users.user_by_id(&second.id).await.unwrap(),
        None,
        "no half-written user"
    );
    assert_eq!(
        s.users
            .redeem_email_verification(&second_token.hash, now())
            .await
            .unwrap(),
        None,
        "no half-written token"
    );
}

pub async fn concurrent_creates_of_one_email_make_one_user(s: Stores) {
    let email = unique_email();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let users = Arc::clone(&s.users);
        let u = user(&email);
        tasks.spawn(async move {
            users
                .create_user(
                    &u,
                    &token(&u, TokenPurpose::EmailVerification, Duration::hours(1)),
                )
                .await
                .unwrap()
        });
    }
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        if result.unwrap() == CreateUser::Created {
            created += 1;
        }
    }
    assert_eq!(created, 1);
}

pub async fn a_verification_token_is_spent_with_its_effect(s: Stores) {
    let u = user(&unique_email());
    let t = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.create_user(&u, &t).await.unwrap();
    assert_eq!(
        s.users
            .redeem_email_verification(&t.hash, now())
            .await
            .unwrap(),
        Some(u.id.clone())
    );
    let after = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(after.email_verified);
    assert_eq!(after.version, u.version + 1);
    assert_eq!(
        s.users
            .redeem_email_verification(&t.hash, now())
            .await
            .unwrap(),
        None,
        "single use"
    );
}

pub async fn expired_and_foreign_purpose_tokens_do_nothing(s: Stores) {
    let u = user(&unique_email());
    let t = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.create_user(&u, &t).await.unwrap();
    assert_eq!(
        s.users
            .redeem_email_verification(&t.hash, t.expires_at)
            .await
            .unwrap(),
        None,
        "expired at its expiry"
    );
    let v = user(&unique_email());
    let reset = token(&v, TokenPurpose::PasswordReset, Duration::hours(1));
    s.users.create_user(&v, &reset).await.unwrap();
    assert_eq!(
        s.users
            .redeem_email_verification(&reset.hash, now())
            .await
            .unwrap(),
        None,
        "a reset token never verifies"
    );
    assert!(
        !s.users
            .user_by_id(&u.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
    assert!(
        !s.users
            .user_by_id(&v.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
    assert_eq!(
        s.users
            .redeem_email_verification(&t.hash, now())
            .await
            .unwrap(),
        Some(u.id),
        "still usable before expiry"
    );
}

pub async fn concurrent_redemptions_of_one_token_succeed_once(s: Stores) {
    let u = user(&unique_email());
    let t = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.create_user(&u, &t).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (users, hash) = (Arc::clone(&s.users), t.hash.clone());
        tasks.spawn(async move { users.redeem_email_verification(&hash, now()).await.unwrap() });
    }
    let mut wins = 0;
    while let Some(r) = tasks.join_next().await {
        wins += usize::from(r.unwrap().is_some());
    }
    assert_eq!(wins, 1);
    assert_eq!(
        s.users.user_by_id(&u.id).await.unwrap().unwrap().version,
        u.version + 1
    );
}

pub async fn sessions_are_stored_and_revoked_once(s: Stores) {
    let u = user(&unique_email());
    let (session, refresh) = session_for(&u);
    s.sessions.create_session(&session, &refresh).await.unwrap();
    assert_eq!(
        s.sessions.session(&session.id).await.unwrap(),
        Some(session.clone())
    );
    let first = now();
    s.sessions.revoke_session(&session.id, first).await.unwrap();
    s.sessions
        .revoke_session(&session.id, first + Duration::minutes(5))
        .await
        .unwrap();
    let stored = s.sessions.session(&session.id).await.unwrap().unwrap();
    assert_eq!(
        stored.revoked_at,
        Some(first),
        "the first revocation time is kept"
    );
    assert!(!stored.is_active(first));
    let absent = session_for(&u).0;
    s.sessions.revoke_session(&absent.id, now()).await.unwrap();
    assert_eq!(s.sessions.session(&absent.id).await.unwrap(), None);
}

fn session_for(u: &User) -> (Session, RefreshTokenRecord) {
    let client = ClientInfo {
        ip: "2001:db8:1:2::9".parse().unwrap(),
        user_agent: "UA/1".into(),
    };
    let refresh = OneTimeToken::generate().hash;
    let session = Session::start(
        u.id.clone(),
        &client,
        now(),
        Duration::days(14),
        Duration::days(30),
        refresh.clone(),
    );
    let record = RefreshTokenRecord {
        hash: refresh,
        session_id: session.id.clone(),
        user_id: u.id.clone(),
        issued_at: now(),
        expires_at: session.absolute_expires_at,
        spent_at: None,
    };
    (session, record)
}

fn next_of(session: &Session, at: OffsetDateTime) -> (Session, RefreshTokenRecord) {
    let next = RefreshTokenRecord {
        hash: OneTimeToken::generate().hash,
        session_id: session.id.clone(),
        user_id: session.user_id.clone(),
        issued_at: at,
        expires_at: session.absolute_expires_at,
        spent_at: None,
    };
    let mut rotated = session.clone();
    rotated.refresh_hash = next.hash.clone();
    rotated.last_used_at = at;
    rotated.idle_expires_at = at + Duration::days(14);
    (rotated, next)
}

pub async fn refresh_rotation_is_one_conditional_write(s: Stores) {
    let u = user(&unique_email());
    let (session, first) = session_for(&u);
    s.sessions.create_session(&session, &first).await.unwrap();
    assert_eq!(
        s.sessions.refresh_token(&first.hash).await.unwrap(),
        Some(first.clone())
    );
    let at = now() + Duration::seconds(5);
    let (rotated, next) = next_of(&session, at);
    assert!(
        s.sessions
            .rotate_refresh(&rotated, &first.hash, &next)
            .await
            .unwrap()
    );
    assert_eq!(
        s.sessions
            .refresh_token(&first.hash)
            .await
            .unwrap()
            .unwrap()
            .spent_at,
        Some(at),
        "the old token is spent"
    );
    assert_eq!(
        s.sessions.refresh_token(&next.hash).await.unwrap(),
        Some(next.clone())
    );
    assert_eq!(
        s.sessions.session(&session.id).await.unwrap(),
        Some(rotated.clone())
    );
    // Rotating the spent token again loses, and writes nothing.
    let (again, other) = next_of(&session, at);
    assert!(
        !s.sessions
            .rotate_refresh(&again, &first.hash, &other)
            .await
            .unwrap()
    );
    assert_eq!(s.sessions.refresh_token(&other.hash).await.unwrap(), None);
    assert_eq!(
        s.sessions.session(&session.id).await.unwrap(),
        Some(rotated.clone())
    );
    // A revoked session never rotates.
    s.sessions.revoke_session(&session.id, at).await.unwrap();
    let (after, late) = next_of(&rotated, at);
    assert!(
        !s.sessions
            .rotate_refresh(&after, &next.hash, &late)
            .await
            .unwrap()
    );
    assert_eq!(
        s.sessions
            .refresh_token(&next.hash)
            .await
            .unwrap()
            .unwrap()
            .spent_at,
        None
    );
}

pub async fn concurrent_rotations_of_one_token_have_one_winner(s: Stores) {
    let u = user(&unique_email());
    let (session, first) = session_for(&u);
    s.sessions.create_session(&session, &first).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (sessions, session, old) =
            (Arc::clone(&s.sessions), session.clone(), first.hash.clone());
        tasks.spawn(async move {
            let (rotated, next) = next_of(&session, now());
            sessions
                .rotate_refresh(&rotated, &old, &next)
                .await
                .unwrap()
        });
    }
    let mut wins = 0;
    while let Some(won) = tasks.join_next().await {
        wins += usize::from(won.unwrap());
    }
    assert_eq!(wins, 1);
}

pub async fn a_users_sessions_are_listed_newest_first(s: Stores) {
    let u = user(&unique_email());
    let other = user(&unique_email());
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (session, refresh) = session_for(&u);
        s.sessions.create_session(&session, &refresh).await.unwrap();
        ids.push(session.id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let (theirs, refresh) = session_for(&other);
    s.sessions.create_session(&theirs, &refresh).await.unwrap();
    let listed: Vec<_> = s
        .sessions
        .sessions_of(&u.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    ids.reverse();
    assert_eq!(listed, ids);
    assert_eq!(s.sessions.sessions_of(&u.id, 2).await.unwrap().len(), 2);
}

pub async fn mass_revocation_is_one_write_on_the_user(s: Stores) {
    let u = user(&unique_email());
    s.users
        .create_user(
            &u,
            &token(&u, TokenPurpose::EmailVerification, Duration::hours(1)),
        )
        .await
        .unwrap();
    let (kept, _) = session_for(&u);
    let (dropped, _) = session_for(&u);
    let cut = now() + Duration::seconds(1);
    s.users
        .revoke_sessions_before(&u.id, cut, Some(&kept.id))
        .await
        .unwrap();
    let stored = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(stored.sessions_not_before, Some(cut));
    assert!(stored.allows(&kept) && !stored.allows(&dropped));
    assert_eq!(stored.version, u.version + 1);
    s.users
        .revoke_sessions_before(&u.id, cut, None)
        .await
        .unwrap();
    let stored = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(!stored.allows(&kept), "a later logout-all keeps nothing");
}

pub async fn saving_a_user_is_optimistic_and_spends_its_token(s: Stores) {
    let u = user(&unique_email());
    s.users
        .create_user(
            &u,
            &token(&u, TokenPurpose::EmailVerification, Duration::hours(1)),
        )
        .await
        .unwrap();
    let reset = token(&u, TokenPurpose::PasswordReset, Duration::hours(1));
    s.users.put_token(&reset).await.unwrap();
    assert_eq!(
        s.users.token(&reset.hash).await.unwrap(),
        Some(reset.clone())
    );
    let mut next = u.clone();
    next.email_verified = true;
    next.version = u.version + 1;
    assert!(
        !s.users
            .save_user(&next, u.version + 7, Some(&reset.hash))
            .await
            .unwrap(),
        "a stale version writes nothing"
    );
    assert_eq!(
        s.users.token(&reset.hash).await.unwrap(),
        Some(reset.clone()),
        "and spends nothing"
    );
    assert!(
        s.users
            .save_user(&next, u.version, Some(&reset.hash))
            .await
            .unwrap()
    );
    assert_eq!(s.users.user_by_id(&u.id).await.unwrap(), Some(next.clone()));
    assert_eq!(
        s.users.token(&reset.hash).await.unwrap(),
        None,
        "spent in the same write"
    );
    let mut again = next.clone();
    again.version += 1;
    assert!(
        !s.users
            .save_user(&again, next.version, Some(&reset.hash))
            .await
            .unwrap(),
        "a spent token fails the write"
    );
    assert!(s.users.save_user(&again, next.version, None).await.unwrap());
}

pub async fn counters_count_every_hit_per_window(s: Stores) {
    let key = moto::unique("ctr");
    let window = Duration::minutes(15);
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (counters, key) = (Arc::clone(&s.counters), key.clone());
        tasks.spawn(async move { counters.hit(&key, window, t0).await.unwrap() });
    }
    let mut seen = Vec::new();
    while let Some(n) = tasks.join_next().await {
        seen.push(n.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=10).collect::<Vec<u64>>(),
        "ten concurrent hits are ten distinct counts"
    );
    assert_eq!(
        s.counters
            .peek(&key, window, t0 + Duration::minutes(3))
            .await
            .unwrap(),
        10,
        "same window"
    );
    assert_eq!(
        s.counters
            .peek(&key, window, t0 + Duration::minutes(15))
            .await
            .unwrap(),
        0,
        "the next window starts at zero"
    );
    assert_eq!(
        s.counters
            .peek(&format!("{key}-other"), window, t0)
            .await
            .unwrap(),
        0
    );
    s.counters.clear(&key, window, t0).await.unwrap();
    assert_eq!(s.counters.peek(&key, window, t0).await.unwrap(), 0);
    assert_eq!(s.counters.hit(&key, window, t0).await.unwrap(), 1);
}

pub async fn locks_are_kept_cleared_conditionally_and_listed_when_expired(s: Stores) {
    let email = Email::parse(&unique_email()).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    assert_eq!(s.locks.lock_of(&email).await.unwrap(), None);
    let first = Lock {
        until: now + Duration::minutes(15),
        kind: LockKind::Automatic,
    };
    s.locks.lock(&email, &first).await.unwrap();
    assert_eq!(s.locks.lock_of(&email).await.unwrap(), Some(first.clone()));
    let later = Lock {
        until: now + Duration::minutes(30),
        kind: LockKind::Automatic,
    };
    s.locks.lock(&email, &later).await.unwrap();
    assert!(
        !s.locks.clear_lock(&email, &first).await.unwrap(),
        "a newer lock is not cleared by an older view"
    );
    let expired: Vec<Email> = s
        .locks
        .expired_locks(now + Duration::minutes(31), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert!(expired.contains(&email));
    let live: Vec<Email> = s
        .locks
        .expired_locks(now + Duration::minutes(29), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert!(
        !live.contains(&email),
        "a lock with time left is not listed"
    );
    assert!(s.locks.clear_lock(&email, &later).await.unwrap());
    assert_eq!(s.locks.lock_of(&email).await.unwrap(), None);
}

pub async fn abandoned_accounts_are_listed_and_deleted_only_while_unverified(s: Stores) {
    let old = user(&unique_email());
    s.users
        .create_user(
            &old,
            &token(&old, TokenPurpose::EmailVerification, Duration::hours(1)),
        )
        .await
        .unwrap();
    let verified = user(&unique_email());
    let t = token(
        &verified,
        TokenPurpose::EmailVerification,
        Duration::hours(1),
    );
    s.users.create_user(&verified, &t).await.unwrap();
    s.users
        .redeem_email_verification(&t.hash, now())
        .await
        .unwrap();
    let cut = now() + Duration::seconds(5);
    let listed: Vec<_> = s
        .users
        .abandoned_users(cut, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert!(listed.contains(&old.id));
    assert!(
        !listed.contains(&verified.id),
        "a verified account is never abandoned"
    );
    let earlier: Vec<_> = s
        .users
        .abandoned_users(old.created_at, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert!(
        !earlier.contains(&old.id),
        "only accounts created before the cut"
    );

    let mut stale_view = old.clone();
    stale_view.version += 1;
    assert!(
        !s.users.delete_unverified(&stale_view).await.unwrap(),
        "a changed account is kept"
    );
    let stored_verified = s.users.user_by_id(&verified.id).await.unwrap().unwrap();
    assert!(
        !s.users.delete_unverified(&stored_verified).await.unwrap(),
        "a verified account is kept"
    );
    assert!(s.users.delete_unverified(&old).await.unwrap());
    assert_eq!(s.users.user_by_id(&old.id).await.unwrap(), None);
    assert_eq!(
        s.users.user_by_email(&old.email).await.unwrap(),
        None,
        "the address is free again"
    );
    let again = user(old.email.as_str());
    let t = token(&again, TokenPurpose::EmailVerification, Duration::hours(1));
    assert_eq!(
        s.users.create_user(&again, &t).await.unwrap(),
        CreateUser::Created
    );
}

pub async fn audit_events_are_append_only(s: Stores) {
    let at = now();
    let event = AuditEvent {
        id: latch_core::crypto::random::ulid(at),
        at,
        kind: AuditType::LoginFailed,
        actor_id: None,
        user_id: None,
        ip: Some("203.0.113.5".into()),
        user_agent: Some("UA".into()),
        request_id: "req".into(),
        outcome: Outcome::Failure,
        metadata: serde_json::Map::from_iter([(
            "reason".to_owned(),
            serde_json::Value::from("unknown_email"),
        )]),
    };
    s.audit.append(&event).await.unwrap();
    assert!(
        s.audit.append(&event).await.is_err(),
        "an event id is never overwritten"
    );
}

macro_rules! contract_suite {
    ($backend:ident) => {
        mod $backend {
            #[tokio::test]
            async fn creates_and_reads_back_a_user() {
                super::creates_and_reads_back_a_user(super::$backend().await).await
            }
            #[tokio::test]
            async fn a_taken_email_names_its_owner_and_stores_nothing() {
                super::a_taken_email_names_its_owner_and_stores_nothing(super::$backend().await)
                    .await
            }
            #[tokio::test]
            async fn concurrent_creates_of_one_email_make_one_user() {
                super::concurrent_creates_of_one_email_make_one_user(super::$backend().await).await
            }
            #[tokio::test]
            async fn a_verification_token_is_spent_with_its_effect() {
                super::a_verification_token_is_spent_with_its_effect(super::$backend().await).await
            }
            #[tokio::test]
            async fn expired_and_foreign_purpose_tokens_do_nothing() {
                super::expired_and_foreign_purpose_tokens_do_nothing(super::$backend().await).await
            }
            #[tokio::test]
            async fn concurrent_redemptions_of_one_token_succeed_once() {
                super::concurrent_redemptions_of_one_token_succeed_once(super::$backend().await)
                    .await
            }
            #[tokio::test]
            async fn sessions_are_stored_and_revoked_once() {
                super::sessions_are_stored_and_revoked_once(super::$backend().await).await
            }
            #[tokio::test]
            async fn refresh_rotation_is_one_conditional_write() {
                super::refresh_rotation_is_one_conditional_write(super::$backend().await).await
            }
            #[tokio::test]
            async fn concurrent_rotations_of_one_token_have_one_winner() {
                super::concurrent_rotations_of_one_token_have_one_winner(super::$backend().await)
                    .await
            }
            #[tokio::test]
            async fn a_users_sessions_are_listed_newest_first() {
                super::a_users_sessions_are_listed_newest_first(super::$backend().await).await
            }
            #[tokio::test]
            async fn mass_revocation_is_one_write_on_the_user() {
                super::mass_revocation_is_one_write_on_the_user(super::$backend().await).await
            }
            #[tokio::test]
            async fn saving_a_user_is_optimistic_and_spends_its_token() {
                super::saving_a_user_is_optimistic_and_spends_its_token(super::$backend().await)
                    .await
            }
            #[tokio::test]
            async fn counters_count_every_hit_per_window() {
                super::counters_count_every_hit_per_window(super::$backend().await).await
            }
            #[tokio::test]
            async fn locks_are_kept_cleared_conditionally_and_listed_when_expired() {
                super::locks_are_kept_cleared_conditionally_and_listed_when_expired(
                    super::$backend().await,
                )
                .await
            }
            #[tokio::test]
            async fn abandoned_accounts_are_listed_and_deleted_only_while_unverified() {
                super::abandoned_accounts_are_listed_and_deleted_only_while_unverified(
                    super::$backend().await,
                )
                .await
            }
            #[tokio::test]
            async fn audit_events_are_append_only() {
                super::audit_events_are_append_only(super::$backend().await).await
            }
        }
    };
}

contract_suite!(embedded);
contract_suite!(dynamodb);

#[tokio::test]
async fn the_embedded_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latch.redb");
    let u = user(&unique_email());
    {
        let s = EmbeddedStore::open(&path).unwrap();
        s.create_user(
            &u,
            &token(&u, TokenPurpose::EmailVerification, Duration::hours(1)),
        )
        .await
        .unwrap();
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    assert_eq!(reopened.user_by_email(&u.email).await.unwrap(), Some(u));
}
