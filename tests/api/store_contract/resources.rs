//! Cases for `Resources`: a reservation writes the record, the name claim and the owner's count
//! together; a taken name or a moved account writes nothing; a release undoes all three.

use super::*;
use latch_core::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use latch_core::ports::{Release, Reserve};

fn resource(owner: &User, name: &str) -> Resource {
    Resource {
        id: latch_core::crypto::random::ulid(now()),
        owner: owner.id.clone(),
        kind: ResourceKind::Database,
        name: name.to_owned(),
        status: ResourceStatus::Creating,
        created_at: now(),
        detail: serde_json::Map::new(),
    }
}

fn counted(u: &User, by: i64) -> User {
    let mut next = u.clone();
    let count = ResourceKind::Database.count_mut(&mut next.billing.resources);
    *count = count.saturating_add_signed(by as i32);
    next.next_write();
    next
}

pub async fn resources_are_reserved_with_their_name_and_count_and_released_whole(s: Stores) {
    let u = user(&unique_email());
    create(s.users.as_ref(), &u).await;
    let name = moto::unique("res");
    let r = resource(&u, &name);
    let next = counted(&u, 1);
    let holder = |kind| s.resources.holder_of(kind, &name);
    assert_eq!(holder(ResourceKind::Database).await.unwrap(), None);
    assert_eq!(
        s.resources.reserve(&r, &next, u.version).await.unwrap(),
        Reserve::Reserved
    );
    assert_eq!(s.resources.resource(&r.id).await.unwrap(), Some(r.clone()));
    assert_eq!(
        holder(ResourceKind::Database).await.unwrap(),
        Some(r.id.clone()),
        "the name's holder, read at once"
    );
    assert_eq!(
        holder(ResourceKind::DnsZone).await.unwrap(),
        None,
        "names are claimed per kind"
    );
    let stored = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(stored.billing.resources.databases, 1);
    // The same name again, by anyone: nothing written.
    let other = user(&unique_email());
    create(s.users.as_ref(), &other).await;
    let twin = resource(&other, &name);
    let other_next = counted(&other, 1);
    assert_eq!(
        s.resources
            .reserve(&twin, &other_next, other.version)
            .await
            .unwrap(),
        Reserve::NameTaken
    );
    assert_eq!(s.resources.resource(&twin.id).await.unwrap(), None);
    assert_eq!(
        s.users
            .user_by_id(&other.id)
            .await
            .unwrap()
            .unwrap()
            .billing
            .resources
            .databases,
        0
    );
    // An account read before another write: nothing written.
    let late = resource(&u, &moto::unique("res"));
    let stale = counted(&u, 1);
    assert_eq!(
        s.resources.reserve(&late, &stale, u.version).await.unwrap(),
        Reserve::AccountChanged
    );
    assert_eq!(s.resources.resource(&late.id).await.unwrap(), None);
    // Moved on, listed, released.
    let mut ready = r.clone();
    ready.status = ResourceStatus::Ready;
    ready
        .detail
        .insert("host".into(), serde_json::Value::from("db"));
    assert!(
        s.resources
            .update(&ready, ResourceStatus::Creating)
            .await
            .unwrap()
    );
    let mut late_move = ready.clone();
    late_move.status = ResourceStatus::Deleting;
    assert!(
        !s.resources
            .update(&late_move, ResourceStatus::Creating)
            .await
            .unwrap(),
        "a status moved on by another call is not moved again"
    );
    let listed = s
        .resources
        .resources_of(&u.id, ResourceKind::Database)
        .await
        .unwrap();
    assert_eq!(listed, vec![ready.clone()]);
    assert!(
        s.resources
            .resources_of(&u.id, ResourceKind::DnsZone)
            .await
            .unwrap()
            .is_empty()
    );
    let back = counted(&stored, -1);
    assert_eq!(
        s.resources
            .release(&ready, &back, stored.version)
            .await
            .unwrap(),
        Release::Released
    );
    assert_eq!(holder(ResourceKind::Database).await.unwrap(), None);
    // A second release (a racing delete) finds it gone and lowers no count.
    let now_stored = s.users.user_by_id(&u.id).await.unwrap().unwrap();
    let again = counted(&now_stored, -1);
    assert_eq!(
        s.resources
            .release(&ready, &again, now_stored.version)
            .await
            .unwrap(),
        Release::Gone
    );
    assert_eq!(s.resources.resource(&r.id).await.unwrap(), None);
    assert!(
        s.resources
            .resources_of(&u.id, ResourceKind::Database)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.users
            .user_by_id(&u.id)
            .await
            .unwrap()
            .unwrap()
            .billing
            .resources
            .databases,
        0
    );
    // The name is free again.
    assert_eq!(
        s.resources
            .reserve(&twin, &other_next, other.version)
            .await
            .unwrap(),
        Reserve::Reserved
    );
}
