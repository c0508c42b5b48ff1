//! `MailDomains` in the embedded store (`LATCH_MAIL=outbox`): each domain's identity with the
//! DKIM private key it signs with, kept in the store's file like every local secret.

use super::{EmbeddedStore, db_err, get, put};
use crate::Error;
use crate::crypto::dkim::DkimKey;
use crate::domain::dns::DomainName;
use crate::ports::{Creation, MailDomains};
use async_trait::async_trait;
use redb::TableDefinition;

/// Domain → its identity.
pub(crate) const IDENTITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("mail_identities");

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    reference: String,
    selector: String,
    private_key: String,
}

impl EmbeddedStore {
    /// The selector and base64 PKCS#8 private key `domain` signs with (a local signer's, and
    /// the tests' way to check a key against its published record).
    pub async fn dkim_private_key(
        &self,
        domain: &DomainName,
    ) -> Result<Option<(String, String)>, Error> {
        Ok(self
            .identity(domain)
            .await?
            .map(|i| (i.selector, i.private_key)))
    }

    async fn identity(&self, domain: &DomainName) -> Result<Option<Identity>, Error> {
        let domain = domain.as_str().to_owned();
        self.read(move |txn| get(&txn.open_table(IDENTITIES).map_err(db_err)?, &domain))
            .await
    }
}

#[async_trait]
impl MailDomains for EmbeddedStore {
    async fn create_identity(
        &self,
        domain: &DomainName,
        key: &DkimKey,
        reference: &str,
    ) -> Result<Creation, Error> {
        let (domain, reference) = (domain.as_str().to_owned(), reference.to_owned());
        let private_key = key.private_key().to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(IDENTITIES).map_err(db_err)?;
            if let Some(there) = get::<Identity>(&table, &domain)? {
                return Ok(Creation::found(&there.reference, &reference));
            }
            let identity = Identity {
                reference,
                selector: crate::crypto::dkim::SELECTOR.to_owned(),
                private_key,
            };
            put(&mut table, &domain, &identity)?;
            Ok(Creation::Created)
        })
        .await
    }

    async fn delete_identity(&self, domain: &DomainName, reference: &str) -> Result<(), Error> {
        let (domain, reference) = (domain.as_str().to_owned(), reference.to_owned());
        self.write(move |txn| {
            let mut table = txn.open_table(IDENTITIES).map_err(db_err)?;
            if get::<Identity>(&table, &domain)?.is_some_and(|i| i.reference == reference) {
                table.remove(domain.as_str()).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn identity_of(&self, domain: &DomainName) -> Result<Option<String>, Error> {
        Ok(self.identity(domain).await?.map(|i| i.reference))
    }
}
