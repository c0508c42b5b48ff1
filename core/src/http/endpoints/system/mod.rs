//! Health, keys and the API description.

pub mod discovery;
pub mod health;
pub mod jwks;
pub mod openapi;
