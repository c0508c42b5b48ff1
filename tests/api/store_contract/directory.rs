//! Cases for the account list (`UserStore::list_users`) and the count of administrators
//! (`UserStore::save_roles`).

use super::*;
use latch_core::domain::Role;
use latch_core::ports::{AdminChange, SaveRoles, UserFilter, UserOrder};

/// Every account the list gives in pages of `size`, following `next`.
async fn walk(s: &Stores, order: UserOrder, filter: &UserFilter, size: usize) -> Vec<User> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..50 {
        let page = s
            .users
            .list_users(order, filter, after.as_deref(), size)
            .await
            .unwrap();
        assert!(page.items.len() <= size);
        out.extend(page.items);
        after = page.next;
        if after.is_none() {
            return out;
        }
    }
    panic!("the list never ended");
}

pub async fn accounts_list_in_each_order_filtered_and_paged_by_key(s: Stores) {
    let tag = moto::unique("dir").to_lowercase();
    let mut made = Vec::new();
    for (i, name) in ["carol", "alice", "erin", "bob", "dave"].iter().enumerate() {
        let mut u = user(&format!("{tag}-{name}@example.com"));
        u.email_verified = i % 2 == 0;
        if i == 1 {
            u.roles = vec![Role::User, Role::Support];
        }
        create(s.users.as_ref(), &u).await;
        made.push(u);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mine = UserFilter {
        email_prefix: Some(tag.clone()),
        ..UserFilter::default()
    };
    let emails = |v: &[User]| v.iter().map(|u| u.email.to_string()).collect::<Vec<_>>();
    let created = walk(&s, UserOrder::Created, &mine, 2).await;
    assert_eq!(emails(&created), emails(&made), "creation order");
    let newest = walk(&s, UserOrder::CreatedDesc, &mine, 2).await;
    let mut reversed = made.clone();
    reversed.reverse();
    assert_eq!(emails(&newest), emails(&reversed));
    let by_email = walk(&s, UserOrder::Email, &mine, 2).await;
    let mut sorted = emails(&made);
    sorted.sort();
    assert_eq!(emails(&by_email), sorted, "address order");
    let support = UserFilter {
        role: Some(Role::Support),
        ..mine.clone()
    };
    assert_eq!(
        emails(&walk(&s, UserOrder::Created, &support, 10).await),
        emails(&made[1..2])
    );
    let unverified = UserFilter {
        verified: Some(false),
        ..mine.clone()
    };
    assert_eq!(
        emails(&walk(&s, UserOrder::Email, &unverified, 1).await),
        vec![made[1].email.to_string(), made[3].email.to_string()]
    );
    assert!(
        created.iter().zip(&made).all(|(a, b)| a == b),
        "accounts come back whole"
    );

    // Accounts added while a walk is under way neither repeat nor hide an older one.
    let first = s
        .users
        .list_users(UserOrder::Created, &mine, None, 2)
        .await
        .unwrap();
    let late = user(&format!("{tag}-aaron@example.com"));
    create(s.users.as_ref(), &late).await;
    let rest = s
        .users
        .list_users(UserOrder::Created, &mine, first.next.as_deref(), 10)
        .await
        .unwrap();
    let mut expected = emails(&made);
    expected.push(late.email.to_string());
    let walked: Vec<String> = emails(&first.items)
        .into_iter()
        .chain(emails(&rest.items))
        .collect();
    assert_eq!(walked, expected);
}

pub async fn the_last_administrator_cannot_be_demoted_even_by_racing_writes(s: Stores) {
    let mut admins = Vec::new();
    for _ in 0..2 {
        let mut u = user(&unique_email());
        u.roles = vec![Role::User, Role::Admin];
        create(s.users.as_ref(), &u).await;
        admins.push(u);
    }
    // Both demoted at once: one lands, the other finds itself the last.
    let demote = |u: &User| {
        let mut next = u.clone();
        next.roles = vec![Role::User];
        next.next_write();
        (next, u.version)
    };
    let (a, av) = demote(&admins[0]);
    let (b, bv) = demote(&admins[1]);
    let (ra, rb) = tokio::join!(
        s.users.save_roles(&a, av, AdminChange::Revoked),
        s.users.save_roles(&b, bv, AdminChange::Revoked)
    );
    let mut outcomes = [ra.unwrap(), rb.unwrap()];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [SaveRoles::LastAdmin, SaveRoles::Saved]);
    let stored_admins = [&admins[0], &admins[1]];
    let mut holding = 0;
    for u in stored_admins {
        let stored = s.users.user_by_id(&u.id).await.unwrap().unwrap();
        holding += usize::from(stored.roles.contains(&Role::Admin));
    }
    assert_eq!(holding, 1, "one administrator remains");
    // A grant is counted: then the remaining one may go.
    let mut plain = user(&unique_email());
    create(s.users.as_ref(), &plain).await;
    let version = plain.version;
    plain.roles.push(Role::Admin);
    plain.next_write();
    assert_eq!(
        s.users
            .save_roles(&plain, version, AdminChange::Granted)
            .await
            .unwrap(),
        SaveRoles::Saved
    );
    let mut again = plain.clone();
    again.next_write();
    let stale = s
        .users
        .save_roles(&again, version, AdminChange::Unchanged)
        .await
        .unwrap();
    assert_eq!(stale, SaveRoles::Stale, "an older version writes nothing");
}

pub async fn an_unverified_administrator_is_never_deleted_as_abandoned(s: Stores) {
    let mut seeded = user(&unique_email());
    seeded.roles = vec![Role::User, Role::Admin];
    create(s.users.as_ref(), &seeded).await;
    assert!(
        !s.users.delete_unverified(&seeded).await.unwrap(),
        "it counts among the administrators"
    );
    assert!(s.users.user_by_id(&seeded.id).await.unwrap().is_some());
    let plain = user(&unique_email());
    create(s.users.as_ref(), &plain).await;
    assert!(s.users.delete_unverified(&plain).await.unwrap());
}
