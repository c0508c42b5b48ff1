//! Provisioning's providers, each held to its port's contract against the real thing.

mod api;
mod databases;
mod dns;
mod hosting;
mod mail_domains;
mod races;
mod rollback;
mod zones;
