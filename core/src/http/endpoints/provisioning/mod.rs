//! `/v1/provisioning` endpoints: the caller's own resources (a verified address required).

pub mod create_database;
pub mod delete_database;
pub mod get_database;
pub mod list_databases;
