//! Cases for `SpendLedger`: charges within the cap, idempotency, concurrency, months, notices.

use super::*;
use latch_core::domain::Charge;
use latch_core::ports::ChargeOutcome;

fn charge(user: &User, key: &str, amount: u64, period: &str) -> Charge {
    Charge {
        id: latch_core::crypto::random::ulid(now()),
        user_id: user.id.clone(),
        amount_cents: amount,
        idempotency_key: key.to_owned(),
        description: "test".to_owned(),
        period: period.to_owned(),
        recorded_at: now(),
        actor_id: None,
    }
}

pub async fn charges_add_up_within_the_cap_and_one_past_it_is_refused_whole(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let l = s.ledger.as_ref();
    assert_eq!(l.spent(&u.id, "2026-12").await.unwrap(), 0);
    for (key, amount) in [("a", 300), ("b", 700)] {
        let c = charge(&u, key, amount, "2026-12");
        assert_eq!(
            l.charge(&c, 1000, 1).await.unwrap(),
            ChargeOutcome::Recorded
        );
    }
    assert_eq!(
        l.spent(&u.id, "2026-12").await.unwrap(),
        1000,
        "exactly at the cap"
    );
    let over = charge(&u, "c", 1, "2026-12");
    assert_eq!(
        l.charge(&over, 1000, 1).await.unwrap(),
        ChargeOutcome::CapReached
    );
    assert_eq!(
        l.spent(&u.id, "2026-12").await.unwrap(),
        1000,
        "nothing recorded"
    );
    // The refused key is not used up: with room it records.
    assert_eq!(
        l.charge(&over, 1001, 1).await.unwrap(),
        ChargeOutcome::Recorded
    );
    // Another month starts at nothing; a cap of 0 refuses everything.
    assert_eq!(l.spent(&u.id, "2027-01").await.unwrap(), 0);
    let january = charge(&u, "d", 5, "2027-01");
    assert_eq!(
        l.charge(&january, 0, 1).await.unwrap(),
        ChargeOutcome::CapReached
    );
    assert_eq!(
        l.charge(&january, 5, 1).await.unwrap(),
        ChargeOutcome::Recorded
    );
    assert_eq!(l.spent(&u.id, "2026-12").await.unwrap(), 1001);
    assert_eq!(l.spent(&u.id, "2027-01").await.unwrap(), 5);
    let huge = charge(&u, "e", u64::MAX, "2027-01");
    assert_eq!(
        l.charge(&huge, u64::MAX, 1).await.unwrap(),
        ChargeOutcome::CapReached
    );
}

pub async fn a_replayed_key_returns_the_first_charge_and_charges_nothing(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let l = s.ledger.as_ref();
    let first = charge(&u, "invoice-1", 400, "2026-12");
    assert_eq!(
        l.charge(&first, 10_000, 1).await.unwrap(),
        ChargeOutcome::Recorded
    );
    assert_eq!(
        l.charge(&first, 10_000, 1).await.unwrap(),
        ChargeOutcome::Recorded,
        "the same charge again is its own landing, recorded once"
    );
    let again = charge(&u, "invoice-1", 400, "2026-12");
    assert_eq!(
        l.charge(&again, 10_000, 1).await.unwrap(),
        ChargeOutcome::Replayed(first.clone())
    );
    // Even once the cap is below it, the replay answers the first charge.
    assert_eq!(
        l.charge(&again, 0, 1).await.unwrap(),
        ChargeOutcome::Replayed(first)
    );
    assert_eq!(l.spent(&u.id, "2026-12").await.unwrap(), 400);
    // Keys are per user.
    let other = user(&unique_email());
    create(s.users.as_ref(), &other).await;
    let theirs = charge(&other, "invoice-1", 400, "2026-12");
    assert_eq!(
        l.charge(&theirs, 10_000, 1).await.unwrap(),
        ChargeOutcome::Recorded
    );
}

pub async fn fifty_racing_charges_at_a_cap_that_fits_ten_record_ten(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..50 {
        let (ledger, c) = (
            Arc::clone(&s.ledger),
            charge(&u, &format!("k{n}"), 100, "2026-12"),
        );
        racing.spawn(async move { ledger.charge(&c, 1000, 1).await.unwrap() });
    }
    let mut recorded = 0;
    while let Some(outcome) = racing.join_next().await {
        match outcome.unwrap() {
            ChargeOutcome::Recorded => recorded += 1,
            ChargeOutcome::CapReached => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(recorded, 10);
    assert_eq!(s.ledger.spent(&u.id, "2026-12").await.unwrap(), 1000);
}

pub async fn the_cap_notice_is_claimed_once_per_month(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let l = s.ledger.as_ref();
    assert!(l.claim_cap_notice(&u.id, "2026-12").await.unwrap());
    assert!(!l.claim_cap_notice(&u.id, "2026-12").await.unwrap());
    assert!(l.claim_cap_notice(&u.id, "2027-01").await.unwrap());
    // Claiming does not disturb the month's spend.
    let c = charge(&u, "a", 10, "2026-12");
    assert_eq!(l.charge(&c, 10, 1).await.unwrap(), ChargeOutcome::Recorded);
    assert!(!l.claim_cap_notice(&u.id, "2026-12").await.unwrap());
    assert_eq!(l.spent(&u.id, "2026-12").await.unwrap(), 10);
}

pub async fn a_charge_against_a_cap_read_from_an_older_account_writes_nothing(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let mut lowered = u.clone();
    lowered.billing.monthly_spend_cap_cents = 0;
    lowered.version = u.version + 1;
    assert!(s.users.save_user(&lowered, u.version, None).await.unwrap());
    let l = s.ledger.as_ref();
    let c = charge(&u, "late", 100, "2026-12");
    assert_eq!(
        l.charge(&c, 1000, u.version).await.unwrap(),
        ChargeOutcome::AccountChanged,
        "the cap it read was lowered since"
    );
    assert_eq!(l.spent(&u.id, "2026-12").await.unwrap(), 0);
    assert_eq!(
        l.charge(&c, 0, lowered.version).await.unwrap(),
        ChargeOutcome::CapReached
    );
    let nobody = user(&unique_email());
    let theirs = charge(&nobody, "k", 1, "2026-12");
    assert_eq!(
        l.charge(&theirs, 10, 1).await.unwrap(),
        ChargeOutcome::AccountChanged
    );
}
