//! Cases for `Counters` and `Locks`.

use super::*;

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
        reason: None,
    };
    s.locks.lock(&email, &first).await.unwrap();
    assert_eq!(s.locks.lock_of(&email).await.unwrap(), Some(first.clone()));
    let later = Lock {
        until: now + Duration::minutes(30),
        kind: LockKind::Automatic,
        reason: None,
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

pub async fn an_automatic_lock_never_replaces_an_administrators(s: Stores) {
    let email = Email::parse(&unique_email()).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let admin = Lock {
        until: latch_core::domain::lock::indefinitely(),
        kind: LockKind::Admin,
        reason: Some("Reported stolen".into()),
    };
    s.locks.lock(&email, &admin).await.unwrap();
    let automatic = Lock {
        until: now + Duration::minutes(15),
        kind: LockKind::Automatic,
        reason: None,
    };
    s.locks.lock(&email, &automatic).await.unwrap();
    assert_eq!(
        s.locks.lock_of(&email).await.unwrap(),
        Some(admin.clone()),
        "the stronger lock stays"
    );
    // An administrator's lock that ends sooner than a new automatic one gives way to it.
    let short = Lock {
        until: now + Duration::minutes(1),
        ..admin
    };
    let other = Email::parse(&unique_email()).unwrap();
    s.locks.lock(&other, &short).await.unwrap();
    s.locks.lock(&other, &automatic).await.unwrap();
    assert_eq!(
        s.locks.lock_of(&other).await.unwrap(),
        Some(automatic.clone())
    );
    // An administrator's lock replaces anything.
    s.locks.lock(&other, &short).await.unwrap();
    assert_eq!(s.locks.lock_of(&other).await.unwrap(), Some(short));
}
