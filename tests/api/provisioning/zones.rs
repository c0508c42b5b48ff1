//! The `Zones` contract, on the embedded zone store and on Route 53 (moto): zones made once
//! per reference, record sets that gain and lose single values, deletion of a zone with its
//! records.

use crate::support::moto;
use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::adapters::route53::Route53Zones;
use latch_core::domain::dns::{DnsRecord, DomainName};
use latch_core::ports::Zones;

async fn embedded() -> (Box<dyn Zones>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("zones.redb")).unwrap();
    (Box::new(store), dir)
}

async fn route53() -> (Box<dyn Zones>, tempfile::TempDir) {
    let client = aws_sdk_route53::Client::new(&moto::aws().await);
    (
        Box::new(Route53Zones::new(client)),
        tempfile::tempdir().unwrap(),
    )
}

fn domain() -> DomainName {
    DomainName::parse(&format!("{}.example.com", moto::unique("z").to_lowercase())).unwrap()
}

fn record(zone: &DomainName, kind: &str, name: &str, value: &str) -> DnsRecord {
    DnsRecord::parse(zone, kind, name, value, 300).unwrap()
}

async fn zones_are_made_once_per_reference_and_start_empty(zones: &dyn Zones) {
    let d = domain();
    let reference = latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc());
    let zone = zones.create_zone(&d, &reference).await.unwrap();
    assert!(!zone.id.is_empty());
    assert!(!zone.name_servers.is_empty(), "{zone:?}");
    assert!(zone.name_servers.iter().all(|n| !n.ends_with('.')));
    let again = zones.create_zone(&d, &reference).await.unwrap();
    assert_eq!(again, zone, "a retried call is the same zone");
    assert_eq!(
        zones.records(&zone.id).await.unwrap(),
        Some(vec![]),
        "no SOA or NS listed"
    );
    assert_eq!(zones.records("ZNOSUCHZONE").await.unwrap(), None);
    let of = zones.zones_of(&d).await.unwrap();
    assert_eq!(
        (of.len(), &of[0].id, &of[0].reference),
        (1, &zone.id, &reference)
    );
    assert!(zones.zones_of(&domain()).await.unwrap().is_empty());
}

async fn long_txt_values_and_underscore_names_come_back_whole(zones: &dyn Zones) {
    let d = domain();
    let reference = latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc());
    let zone = zones.create_zone(&d, &reference).await.unwrap();
    let key = latch_core::crypto::dkim::DkimKey::generate().unwrap();
    let dkim = key.record(&d);
    assert!(dkim.value.len() > 255, "more than one TXT string");
    zones.add_record(&zone.id, &dkim).await.unwrap();
    assert_eq!(
        zones.records(&zone.id).await.unwrap(),
        Some(vec![dkim.clone()])
    );
    zones.remove_record(&zone.id, &dkim).await.unwrap();
    assert_eq!(zones.records(&zone.id).await.unwrap(), Some(vec![]));
    zones.delete_zone(&zone.id).await.unwrap();
    assert!(zones.zones_of(&d).await.unwrap().is_empty());
}

async fn record_sets_gain_and_lose_single_values(zones: &dyn Zones) {
    let d = domain();
    let reference = latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc());
    let zone = zones.create_zone(&d, &reference).await.unwrap();
    let a1 = record(&d, "A", "www", "192.0.2.1");
    let a2 = record(&d, "A", "www", "192.0.2.2");
    let mx = record(&d, "MX", "@", "10 mail.example.net");
    let txt = record(&d, "TXT", "@", "v=spf1 -all");
    let cname = record(&d, "CNAME", "docs", "pages.example.net");
    for r in [&a1, &a2, &mx, &txt, &cname, &a1] {
        zones.add_record(&zone.id, r).await.unwrap();
    }
    let mut expected = vec![
        a1.clone(),
        a2.clone(),
        mx.clone(),
        txt.clone(),
        cname.clone(),
    ];
    expected.sort_by(|a, b| {
        (&a.name, a.kind.as_str(), &a.value).cmp(&(&b.name, b.kind.as_str(), &b.value))
    });
    assert_eq!(
        zones.records(&zone.id).await.unwrap(),
        Some(expected),
        "each value once"
    );
    zones.remove_record(&zone.id, &a1).await.unwrap();
    zones
        .remove_record(&zone.id, &a1)
        .await
        .expect("a value already gone is fine");
    let left = zones.records(&zone.id).await.unwrap().unwrap();
    assert!(left.contains(&a2) && !left.contains(&a1));
    zones.remove_record(&zone.id, &a2).await.unwrap();
    let left = zones.records(&zone.id).await.unwrap().unwrap();
    assert!(
        left.iter().all(|r| r.name != a2.name),
        "the last value takes its set: {left:?}"
    );
    // A zone goes with its records.
    zones.delete_zone(&zone.id).await.unwrap();
    assert_eq!(zones.records(&zone.id).await.unwrap(), None);
    zones
        .delete_zone(&zone.id)
        .await
        .expect("a zone already gone is fine");
}

macro_rules! zone_contract {
    ($($case:ident),* $(,)?) => {
        mod on_embedded {
            $(#[tokio::test]
            async fn $case() {
                let (zones, _dir) = super::embedded().await;
                super::$case(zones.as_ref()).await
            })*
        }
        mod on_route53 {
            $(#[tokio::test]
            async fn $case() {
                let (zones, _dir) = super::route53().await;
                super::$case(zones.as_ref()).await
            })*
        }
    };
}

zone_contract!(
    zones_are_made_once_per_reference_and_start_empty,
    record_sets_gain_and_lose_single_values,
    long_txt_values_and_underscore_names_come_back_whole,
);

#[tokio::test]
async fn the_embedded_zone_store_writes_a_zone_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("zones.redb")).unwrap();
    let d = DomainName::parse("shop.example.com").unwrap();
    let zone = store
        .create_zone(&d, "01JZ0000000000000000000000")
        .await
        .unwrap();
    store
        .add_record(&zone.id, &record(&d, "TXT", "@", "hello world"))
        .await
        .unwrap();
    store
        .add_record(&zone.id, &record(&d, "MX", "@", "10 mail.shop.example.com"))
        .await
        .unwrap();
    let file = store.zone_file(&zone.id).await.unwrap().unwrap();
    assert!(file.starts_with("$ORIGIN shop.example.com.\n"), "{file}");
    assert!(
        file.contains(" IN SOA ") && file.contains(" IN NS ns1.latch.invalid."),
        "{file}"
    );
    assert!(
        file.contains("shop.example.com. 300 IN TXT \"hello world\""),
        "{file}"
    );
    assert!(
        file.contains("shop.example.com. 300 IN MX 10 mail.shop.example.com."),
        "{file}"
    );
    assert_eq!(store.zone_file("ZNONE").await.unwrap(), None);
}
