//! `/v1/auth` endpoints.

pub mod change_password;
pub mod forgot_password;
pub mod list_sessions;
pub mod login;
pub mod logout;
pub mod logout_all;
pub mod me;
pub mod password_strength;
pub mod refresh;
pub mod register;
pub mod resend_verification;
pub mod reset_password;
pub mod revoke_session;
pub mod verify_email;
