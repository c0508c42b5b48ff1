//! Cases for the writes that carry their audit event (`create_session_audited`,
//! `create_user_audited`) and the one-call reads beside them (`session_with_user`,
//! `holder_of_email`): the change and its event land together or not at all.

use super::*;
use latch_core::domain::audit_chain::{self, ChainHead};
use latch_core::ports::{AuditAppend, Audited};

const PARTITION: u16 = 7;

/// The events stored in the test's partition, in chain order.
async fn chain_events(s: &Stores) -> Vec<AuditEvent> {
    let (from, to) = (now() - Duration::hours(1), now() + Duration::hours(1));
    let page = s.audit.chain(PARTITION, from, to, None, 100).await.unwrap();
    page.items
}

fn linked(kind: AuditType, head: Option<&ChainHead>) -> AuditEvent {
    audit_chain::link(event_at(now(), kind), PARTITION, head)
}

pub async fn a_session_and_its_event_are_one_write(s: Stores) {
    let mut u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let (session, refresh) = session_for(&u);
    let event = linked(AuditType::LoginSucceeded, None);
    let append = AuditAppend {
        event: &event,
        expected: None,
    };
    assert_eq!(
        s.sessions
            .create_session_audited(&session, &refresh, Some(append))
            .await
            .unwrap(),
        Audited::Stored(())
    );
    let head = s.audit.head(PARTITION).await.unwrap().unwrap();
    assert_eq!(head, ChainHead::of(&event).unwrap(), "the head moved to it");
    assert_eq!(chain_events(&s).await, std::slice::from_ref(&event));
    assert!(s.sessions.session(&session.id).await.unwrap().is_some());

    // A writer that read the head before that event: nothing of its change is written.
    let (late, late_refresh) = session_for(&u);
    let stale = linked(AuditType::LoginSucceeded, None);
    let append = AuditAppend {
        event: &stale,
        expected: None,
    };
    assert_eq!(
        s.sessions
            .create_session_audited(&late, &late_refresh, Some(append))
            .await
            .unwrap(),
        Audited::HeadMoved
    );
    assert_eq!(s.sessions.session(&late.id).await.unwrap(), None);
    assert_eq!(
        s.sessions.refresh_token(&late_refresh.hash).await.unwrap(),
        None
    );
    assert_eq!(s.audit.head(PARTITION).await.unwrap(), Some(head.clone()));

    // A session of a password since changed is refused, and its event is not written either.
    let (old_password, old_refresh) = session_for(&u);
    let hash = u.password_hash.clone();
    u.set_password(hash, 5, now(), None);
    u.version += 1;
    assert!(s.users.save_user(&u, u.version - 1, None).await.unwrap());
    let refused = linked(AuditType::LoginSucceeded, Some(&head));
    let append = AuditAppend {
        event: &refused,
        expected: Some(&head),
    };
    assert_eq!(
        s.sessions
            .create_session_audited(&old_password, &old_refresh, Some(append))
            .await
            .unwrap(),
        Audited::Refused(())
    );
    assert_eq!(s.sessions.session(&old_password.id).await.unwrap(), None);
    assert_eq!(s.audit.head(PARTITION).await.unwrap(), Some(head));
    assert_eq!(
        chain_events(&s).await,
        [event],
        "only the first event is stored"
    );
}

pub async fn an_account_and_its_event_are_one_write(s: Stores) {
    let email = unique_email();
    let first = user(&email);
    let verification = token(&first, TokenPurpose::EmailVerification, Duration::hours(1));
    let event = linked(AuditType::UserRegistered, None);
    let append = AuditAppend {
        event: &event,
        expected: None,
    };
    assert_eq!(
        s.users
            .create_user_audited(&first, &verification, Some(append))
            .await
            .unwrap(),
        Audited::Stored(CreateUser::Created)
    );
    let head = s.audit.head(PARTITION).await.unwrap().unwrap();
    assert_eq!(head, ChainHead::of(&event).unwrap());
    assert_eq!(
        s.users.user_by_id(&first.id).await.unwrap(),
        Some(first.clone())
    );

    // The address is taken: the change is refused whole, and names the holder.
    let second = user(&email);
    let second_token = token(&second, TokenPurpose::EmailVerification, Duration::hours(1));
    let refused = linked(AuditType::UserRegistered, Some(&head));
    let append = AuditAppend {
        event: &refused,
        expected: Some(&head),
    };
    assert_eq!(
        s.users
            .create_user_audited(&second, &second_token, Some(append))
            .await
            .unwrap(),
        Audited::Refused(CreateUser::EmailTaken(first.id.clone()))
    );
    assert_eq!(s.users.user_by_id(&second.id).await.unwrap(), None);
    assert_eq!(s.audit.head(PARTITION).await.unwrap(), Some(head.clone()));

    // A stale head: neither the account nor its address claim is written.
    let third = user(&unique_email());
    let third_token = token(&third, TokenPurpose::EmailVerification, Duration::hours(1));
    let stale = linked(AuditType::UserRegistered, None);
    let append = AuditAppend {
        event: &stale,
        expected: None,
    };
    assert_eq!(
        s.users
            .create_user_audited(&third, &third_token, Some(append))
            .await
            .unwrap(),
        Audited::HeadMoved
    );
    assert_eq!(s.users.user_by_id(&third.id).await.unwrap(), None);
    assert_eq!(s.users.holder_of_email(&third.email).await.unwrap(), None);
    assert_eq!(
        s.users
            .redeem_email_verification(&third_token.hash, now())
            .await
            .unwrap(),
        None,
        "no half-written token"
    );
    assert_eq!(s.audit.head(PARTITION).await.unwrap(), Some(head));
    assert_eq!(chain_events(&s).await, [event]);
    // The address is still free: the same account registers once the head is current.
    create(s.users.as_ref(), &third).await;
    assert_eq!(
        s.users.holder_of_email(&third.email).await.unwrap(),
        Some(third.id.clone())
    );
}

pub async fn a_session_and_its_account_are_read_in_one_call(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let (session, refresh) = session_for(&u);
    assert!(s.sessions.create_session(&session, &refresh).await.unwrap());
    let (found, account) = s
        .sessions
        .session_with_user(&session.id, &u.id)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(|f| &f.id), Some(&session.id));
    assert_eq!(account, Some(u.clone()));
    // Each half is read for what it is: a stranger's id finds no account beside the session.
    let stranger = user(&unique_email());
    let (found, account) = s
        .sessions
        .session_with_user(&session.id, &stranger.id)
        .await
        .unwrap();
    assert!(found.is_some());
    assert_eq!(account, None);
    let (unknown, _) = session_for(&u);
    let (found, account) = s
        .sessions
        .session_with_user(&unknown.id, &u.id)
        .await
        .unwrap();
    assert_eq!(found, None);
    assert_eq!(account, Some(u.clone()));
    // A revocation is seen at once.
    s.sessions.revoke_session(&session.id, now()).await.unwrap();
    let (found, _) = s
        .sessions
        .session_with_user(&session.id, &u.id)
        .await
        .unwrap();
    assert!(found.unwrap().revoked_at.is_some());
    assert_eq!(
        s.users.holder_of_email(&u.email).await.unwrap(),
        Some(u.id.clone())
    );
    let nobody = Email::parse(&unique_email()).unwrap();
    assert_eq!(s.users.holder_of_email(&nobody).await.unwrap(), None);
}
