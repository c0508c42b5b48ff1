//! `MailDomains` on SES (`LATCH_MAIL=ses`): a domain identity per mail domain, signing with the
//! key Latch made (BYODKIM: the same TXT record as locally, no CNAMEs to SES's keys), tagged
//! with its resource so Latch never takes over or deletes an identity it did not make.

use crate::Error;
use crate::crypto::dkim::{DkimKey, SELECTOR};
use crate::domain::dns::DomainName;
use crate::ports::{Creation, MailDomains};
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{DkimSigningAttributes, Tag};

/// The tag that marks an identity as a Latch resource's.
const TAG: &str = "latch-resource";

pub struct SesMailDomains {
    client: Client,
}

impl SesMailDomains {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn build_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("building an SES request: {e}"))
}

#[async_trait]
impl MailDomains for SesMailDomains {
    async fn create_identity(
        &self,
        domain: &DomainName,
        key: &DkimKey,
        reference: &str,
    ) -> Result<Creation, Error> {
        // A retry after a lost answer finds its own identity; another is not ours to change.
        if let Some(there) = self.identity_of(domain).await? {
            return Ok(Creation::found(&there, reference));
        }
        let signing = DkimSigningAttributes::builder()
            .domain_signing_selector(SELECTOR)
            .domain_signing_private_key(key.private_key())
            .build();
        let tag = Tag::builder()
            .key(TAG)
            .value(reference)
            .build()
            .map_err(build_err)?;
        let created = self
            .client
            .create_email_identity()
            .email_identity(domain.as_str())
            .dkim_signing_attributes(signing)
            .tags(tag)
            .send()
            .await;
        match created {
            Ok(_) => Ok(Creation::Created),
            // Made between the read and this call: whose it is decides.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_already_exists_exception()) =>
            {
                let there = self.identity_of(domain).await?.unwrap_or_default();
                Ok(Creation::found(&there, reference))
            }
            Err(e) => Err(super::sdk_error("sesv2 CreateEmailIdentity", e)),
        }
    }

    async fn delete_identity(&self, domain: &DomainName, reference: &str) -> Result<(), Error> {
        if self.identity_of(domain).await?.as_deref() != Some(reference) {
            return Ok(());
        }
        match self
            .client
            .delete_email_identity()
            .email_identity(domain.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(super::sdk_error("sesv2 DeleteEmailIdentity", e)),
        }
    }

    async fn identity_of(&self, domain: &DomainName) -> Result<Option<String>, Error> {
        match self
            .client
            .get_email_identity()
            .email_identity(domain.as_str())
            .send()
            .await
        {
            Ok(found) => Ok(Some(
                found
                    .tags()
                    .iter()
                    .find(|t| t.key() == TAG)
                    .map(|t| t.value().to_owned())
                    .unwrap_or_default(),
            )),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(super::sdk_error("sesv2 GetEmailIdentity", e)),
        }
    }
}
