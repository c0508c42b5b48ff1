//! `/v1/provisioning` endpoints: the caller's own resources (a verified address required).

pub mod add_dns_record;
pub mod create_database;
pub mod create_dns_zone;
pub mod create_hosting_account;
pub mod create_mail_domain;
pub mod delete_database;
pub mod delete_dns_record;
pub mod delete_dns_zone;
pub mod delete_hosting_account;
pub mod delete_mail_domain;
pub mod get_database;
pub mod get_dns_zone;
pub mod list_databases;
pub mod list_dns_zones;
pub mod list_hosting_accounts;
pub mod list_mail_domains;
