//! `/v1/auth` endpoints.

pub mod list_sessions;
pub mod login;
pub mod logout;
pub mod logout_all;
pub mod me;
pub mod refresh;
pub mod register;
pub mod revoke_session;
pub mod verify_email;
