//! Cases for `UserStore`: accounts, email claims, one-time tokens, optimistic saves.

use super::*;

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
    create(s.users.as_ref(), &first).await;
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

pub async fn a_verification_link_is_dead_once_the_address_is_verified(s: Stores) {
    let u = user(&unique_email());
    let first = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.create_user(&u, &first).await.unwrap();
    let second = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.put_token(&second).await.unwrap();
    let redeemed = s.users.redeem_email_verification(&second.hash, now());
    assert_eq!(redeemed.await.unwrap(), Some(u.id.clone()));
    let other = s.users.redeem_email_verification(&first.hash, now());
    assert_eq!(other.await.unwrap(), None, "the other link died");
    let after = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(after.version, u.version + 1, "nothing more was written");
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

pub async fn saving_a_user_is_optimistic_and_spends_its_token(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
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

pub async fn abandoned_accounts_are_listed_and_deleted_only_while_unverified(s: Stores) {
    let old = user(&unique_email());
    create(s.users.as_ref(), &old).await;
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

/// A user with MFA state: sealed secret, recovery-code hashes, replay floor and lock.
fn with_mfa(u: &User) -> User {
    use latch_core::crypto::Sealed;
    let mut next = u.clone();
    next.mfa_enabled = true;
    next.mfa.secret = Some(Sealed {
        key_id: "d1".into(),
        nonce: "bm9uY2Vub25jZTEy".into(),
        ciphertext: "Y2lwaGVydGV4dA".into(),
    });
    next.mfa.recovery_codes = vec!["ab".repeat(32), "cd".repeat(32)];
    next.mfa.last_step = 60_000_123;
    next.mfa.locks = 2;
    next.mfa.locked_until = Some(now() + Duration::minutes(5));
    next.write_id = "w1".into();
    next.version = u.version + 1;
    next
}

pub async fn mfa_state_and_a_bound_mfa_token_round_trip(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let next = with_mfa(&u);
    assert!(s.users.save_user(&next, u.version, None).await.unwrap());
    assert_eq!(s.users.user_by_id(&u.id).await.unwrap(), Some(next.clone()));
    let email = next.email.clone();
    assert_eq!(
        s.users.user_by_email(&email).await.unwrap(),
        Some(next.clone())
    );

    let client = ClientInfo {
        ip: "198.51.100.7".parse().unwrap(),
        user_agent: "Firefox/132.0".into(),
    };
    let mfa = token(&next, TokenPurpose::MfaLogin, Duration::minutes(5)).bound_to(&client);
    s.users.put_token(&mfa).await.unwrap();
    let read = s.users.token(&mfa.hash).await.unwrap().unwrap();
    assert_eq!(read, mfa);
    assert!(read.admits(&client));
    let other = ClientInfo {
        user_agent: "Chrome/131.0".into(),
        ..client
    };
    assert!(!read.admits(&other));
}

pub async fn two_writes_of_one_version_with_one_token_land_once(s: Stores) {
    // Two requests spending one MFA token at once: each writes its own stamp, one lands.
    let u = with_mfa(&user(&unique_email()));
    create(s.users.as_ref(), &u).await;
    let mfa = token(&u, TokenPurpose::MfaLogin, Duration::minutes(5));
    s.users.put_token(&mfa).await.unwrap();
    let writes = ["first", "second"].map(|stamp| {
        let mut next = u.clone();
        next.mfa.last_step += 1;
        next.write_id = stamp.into();
        next.version = u.version + 1;
        let (users, hash) = (Arc::clone(&s.users), mfa.hash.clone());
        tokio::spawn(async move {
            users
                .save_user(&next, u.version, Some(&hash))
                .await
                .unwrap()
        })
    });
    let mut landed = 0;
    for write in writes {
        landed += usize::from(write.await.unwrap());
    }
    assert_eq!(landed, 1, "one spend, one new replay floor");
    assert_eq!(s.users.token(&mfa.hash).await.unwrap(), None);
}

pub async fn a_verification_link_from_before_a_new_password_is_dead(s: Stores) {
    let u = user(&unique_email());
    let old = token(&u, TokenPurpose::EmailVerification, Duration::hours(24));
    s.users.create_user(&u, &old).await.unwrap();
    let mut changed = u.clone();
    changed.set_password(u.password_hash.clone(), 5, now(), None);
    changed.next_write();
    assert!(s.users.save_user(&changed, u.version, None).await.unwrap());
    let redeemed = s.users.redeem_email_verification(&old.hash, now());
    assert_eq!(
        redeemed.await.unwrap(),
        None,
        "issued against the old password"
    );
    let after = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(!after.email_verified);
    let fresh = token(
        &changed,
        TokenPurpose::EmailVerification,
        Duration::hours(24),
    );
    s.users.put_token(&fresh).await.unwrap();
    let redeemed = s.users.redeem_email_verification(&fresh.hash, now());
    assert_eq!(redeemed.await.unwrap(), Some(u.id.clone()));
}
