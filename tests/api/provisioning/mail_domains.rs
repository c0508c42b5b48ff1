//! The `MailDomains` contract, on the embedded store and on SES (moto): an identity made once
//! per reference, one Latch did not make never taken over or deleted, deletion by its own
//! reference only.

use crate::support::moto;
use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::adapters::ses_identities::SesMailDomains;
use latch_core::crypto::dkim::DkimKey;
use latch_core::domain::dns::DomainName;
use latch_core::ports::{Creation, MailDomains};

async fn embedded() -> (Box<dyn MailDomains>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("mail.redb")).unwrap();
    (Box::new(store), dir)
}

async fn ses() -> (Box<dyn MailDomains>, tempfile::TempDir) {
    let client = aws_sdk_sesv2::Client::new(&moto::aws().await);
    (
        Box::new(SesMailDomains::new(client)),
        tempfile::tempdir().unwrap(),
    )
}

fn domain() -> DomainName {
    DomainName::parse(&format!("{}.example.com", moto::unique("m").to_lowercase())).unwrap()
}

fn reference() -> String {
    latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc())
}

async fn identities_are_made_once_per_reference_and_deleted_by_it(mail: &dyn MailDomains) {
    let (d, mine, other) = (domain(), reference(), reference());
    let key = DkimKey::generate().unwrap();
    assert_eq!(mail.identity_of(&d).await.unwrap(), None);
    assert_eq!(
        mail.create_identity(&d, &key, &mine).await.unwrap(),
        Creation::Created
    );
    assert_eq!(
        mail.create_identity(&d, &key, &mine).await.unwrap(),
        Creation::Created,
        "a retried call is the same identity"
    );
    assert_eq!(mail.identity_of(&d).await.unwrap(), Some(mine.clone()));
    assert_eq!(
        mail.create_identity(&d, &key, &other).await.unwrap(),
        Creation::Taken,
        "another reference's identity is not taken over"
    );
    mail.delete_identity(&d, &other).await.unwrap();
    assert_eq!(
        mail.identity_of(&d).await.unwrap(),
        Some(mine.clone()),
        "nor deleted by another reference"
    );
    mail.delete_identity(&d, &mine).await.unwrap();
    assert_eq!(mail.identity_of(&d).await.unwrap(), None);
    mail.delete_identity(&d, &mine)
        .await
        .expect("an identity already gone is fine");
}

#[tokio::test]
async fn an_ses_identity_latch_did_not_make_is_never_taken_or_deleted() {
    let aws = moto::aws().await;
    let client = aws_sdk_sesv2::Client::new(&aws);
    let d = domain();
    client
        .create_email_identity()
        .email_identity(d.as_str())
        .send()
        .await
        .unwrap();
    let mail = SesMailDomains::new(client.clone());
    assert_eq!(mail.identity_of(&d).await.unwrap(), Some(String::new()));
    let key = DkimKey::generate().unwrap();
    let mine = reference();
    assert_eq!(
        mail.create_identity(&d, &key, &mine).await.unwrap(),
        Creation::Taken
    );
    mail.delete_identity(&d, &mine).await.unwrap();
    let still = client
        .get_email_identity()
        .email_identity(d.as_str())
        .send()
        .await;
    assert!(still.is_ok(), "the deployer's identity stands");
}

#[tokio::test]
async fn an_ses_identity_signs_with_the_key_latch_made() {
    let aws = moto::aws().await;
    let client = aws_sdk_sesv2::Client::new(&aws);
    let d = domain();
    let mail = SesMailDomains::new(client.clone());
    let key = DkimKey::generate().unwrap();
    mail.create_identity(&d, &key, &reference()).await.unwrap();
    let got = client
        .get_email_identity()
        .email_identity(d.as_str())
        .send()
        .await
        .unwrap();
    let dkim = got.dkim_attributes().unwrap();
    assert!(
        dkim.signing_enabled(),
        "signing with the key it was given: {dkim:?}"
    );
}

macro_rules! mail_contract {
    ($($case:ident),* $(,)?) => {
        mod on_embedded {
            $(#[tokio::test]
            async fn $case() {
                let (mail, _dir) = super::embedded().await;
                super::$case(mail.as_ref()).await
            })*
        }
        mod on_ses {
            $(#[tokio::test]
            async fn $case() {
                let (mail, _dir) = super::ses().await;
                super::$case(mail.as_ref()).await
            })*
        }
    };
}

mail_contract!(identities_are_made_once_per_reference_and_deleted_by_it);
