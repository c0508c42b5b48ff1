//! Provisioning's providers, each held to its port's contract against the real thing.

mod api;
mod databases;
mod rollback;
mod zones;
