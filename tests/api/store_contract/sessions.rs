//! Cases for `SessionStore` (and the mass revocation on the user): sessions and refresh rotation.

use super::*;

pub async fn a_session_is_created_only_for_the_current_password(s: Stores) {
    let mut u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let (granted_before, refresh) = session_for(&u);
    // A reset lands between the login's read of the password and its session write.
    let hash = u.password_hash.clone();
    u.set_password(hash, 5, now(), None);
    u.version += 1;
    assert!(s.users.save_user(&u, u.version - 1, None).await.unwrap());
    assert!(
        !s.sessions
            .create_session(&granted_before, &refresh)
            .await
            .unwrap(),
        "a session of the old password is refused"
    );
    assert_eq!(s.sessions.session(&granted_before.id).await.unwrap(), None);
    assert_eq!(s.sessions.refresh_token(&refresh.hash).await.unwrap(), None);
    let (current, refresh) = session_for(&u);
    assert!(s.sessions.create_session(&current, &refresh).await.unwrap());
    let (nobodys, refresh) = session_for(&user(&unique_email()));
    assert!(!s.sessions.create_session(&nobodys, &refresh).await.unwrap());
}

pub async fn a_sessions_wrong_passwords_are_counted_atomically_and_survive_rotation(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let (session, first) = session_for(&u);
    assert!(s.sessions.create_session(&session, &first).await.unwrap());
    let mut counting = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (sessions, id) = (Arc::clone(&s.sessions), session.id.clone());
        counting.spawn(async move { sessions.count_password_failure(&id).await.unwrap() });
    }
    let mut seen: Vec<u64> = counting.join_all().await;
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3, 4], "each failure counted once");
    let next = OneTimeToken::generate();
    let mut rotated = session.clone();
    rotated.refresh_hash = next.hash.clone();
    let record = RefreshTokenRecord {
        hash: next.hash,
        ..first.clone()
    };
    assert!(
        s.sessions
            .rotate_refresh(&rotated, &first.hash, &record)
            .await
            .unwrap()
    );
    assert_eq!(
        s.sessions
            .count_password_failure(&session.id)
            .await
            .unwrap(),
        5
    );
    let nobody = session_for(&u).0;
    assert_eq!(
        s.sessions.count_password_failure(&nobody.id).await.unwrap(),
        0
    );
    assert_eq!(
        s.sessions.session(&nobody.id).await.unwrap(),
        None,
        "nothing created"
    );
}

pub async fn sessions_are_stored_and_revoked_once(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let (session, refresh) = session_for(&u);
    assert!(s.sessions.create_session(&session, &refresh).await.unwrap());
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

pub fn session_for(u: &User) -> (Session, RefreshTokenRecord) {
    let client = ClientInfo {
        ip: "2001:db8:1:2::9".parse().unwrap(),
        user_agent: "UA/1".into(),
    };
    let refresh = OneTimeToken::generate().hash;
    let session = Session::start(
        (u.id.clone(), u.credential_epoch),
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
    create(s.users.as_ref(), &u).await;
    let (session, first) = session_for(&u);
    assert!(s.sessions.create_session(&session, &first).await.unwrap());
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
    create(s.users.as_ref(), &u).await;
    let (session, first) = session_for(&u);
    assert!(s.sessions.create_session(&session, &first).await.unwrap());
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
    create(s.users.as_ref(), &u).await;
    let other = user(&unique_email());
    create(s.users.as_ref(), &other).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (session, refresh) = session_for(&u);
        assert!(s.sessions.create_session(&session, &refresh).await.unwrap());
        ids.push(session.id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let (theirs, refresh) = session_for(&other);
    assert!(s.sessions.create_session(&theirs, &refresh).await.unwrap());
    let listed: Vec<_> = s
        .sessions
        .sessions_of(&u.id, None, 10)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|x| x.id)
        .collect();
    ids.reverse();
    assert_eq!(listed, ids);
    // Pages of two go on from the last one shown, and revoked sessions are listed too.
    s.sessions.revoke_session(&ids[1], now()).await.unwrap();
    let first = s.sessions.sessions_of(&u.id, None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.items[1].revoked_at.is_some());
    let second = s
        .sessions
        .sessions_of(&u.id, first.next.as_deref(), 2)
        .await
        .unwrap();
    let paged: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|x| x.id.clone())
        .collect();
    assert_eq!(paged, ids);
    assert_eq!(second.next, None);
}

pub async fn mass_revocation_is_one_write_on_the_user(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
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
