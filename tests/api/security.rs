//! The security matrix: one named test per attack, grouped by what is attacked. Where a route
//! set matters the gates are driven by the route table, so a route added later is covered at
//! once, or fails here until the matrix knows how to attack it.
//!
//! | attack | test |
//! |---|---|
//! | JWT `alg:none` | `jwt::alg_none_is_refused` |
//! | HS256 keyed with the public key | `jwt::hs256_keyed_with_the_public_jwk_is_refused` |
//! | unknown `kid` | `jwt::a_key_we_do_not_publish_is_refused` |
//! | wrong `iss`/`aud`, expired beyond skew | `jwt::wrong_issuer_audience_and_stale_times_are_refused_even_with_our_key` |
//! | tampered payload | `jwt::a_tampered_payload_is_refused` |
//! | refresh reuse | `sessions::a_spent_token_replayed_*`, `sessions::two_concurrent_refreshes_*` |
//! | session binding | `sessions::a_refresh_from_another_user_agent_or_network_revokes_the_session`, `sessions::me_refuses_missing_forged_and_other_client_tokens` |
//! | IDOR on every `{id}` route | `access::no_id_route_reaches_another_users_resource` |
//! | missing token, dead session, missing role on every route | `access::every_route_refuses_callers_without_its_access` |
//! | CSV formula injection | `access::csv_exports_neutralize_formulas` |
//! | enumeration by body and timing | `enumeration::*` (the timing itself is measured in `cargo bench`) |
//! | oversized JSON | `input::a_body_over_16_kib_is_413_and_one_at_the_limit_is_read` |
//! | deeply nested JSON | `input::deeply_nested_json_is_400_on_every_route_with_a_body` |
//! | header injection through email names | `input::email_names_cannot_inject_mail_headers` |
//! | rate limits (every limited route of the table) and lockout | `limits::*` |

mod access;
mod addresses;
mod captcha;
mod credentials;
mod enumeration;
mod guessing;
mod input;
mod jwt;
mod limits;
mod mail;
mod sessions;
