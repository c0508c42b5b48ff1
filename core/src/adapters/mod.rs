//! Implementations of the ports: the embedded store and the AWS services, plus local stand-ins.

pub mod aws;
pub mod dynamo;
pub mod embedded;
pub mod local_secrets;
pub mod mime;
pub mod outbox;
pub mod postgres;
pub mod route53;
pub mod secrets_manager;
pub mod ses;
pub mod ses_identities;
pub mod sqs_mail;
pub mod tenant_secrets;
pub mod turnstile;

pub(crate) use aws::sdk_error;
