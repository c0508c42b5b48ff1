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
//! | a login racing a reset keeps a session of the old password | `credentials::a_login_racing_a_reset_never_keeps_a_session_of_the_old_password` |
//! | a reset link issued before a reset or change | `credentials::reset_links_die_with_the_password_they_were_issued_against` |
//! | a verification link after the address is verified | `credentials::a_verification_link_dies_once_the_address_is_verified_another_way` |
//! | pre-registering another person's address | `credentials::an_address_registered_by_someone_else_goes_to_its_owner` |
//! | filling a mail quota to suppress a security notice | `mail::a_full_mail_quota_never_suppresses_a_security_notice` |
//! | flooding an address with registration notices | `mail::registration_notices_are_capped_per_address_and_day` |
//! | personal data in logs from a provider error | `mail::a_provider_error_naming_an_address_is_logged_without_it` |
//! | enumeration by store work (lock, 423, forgot, resend) | `enumeration::known_and_unknown_addresses_cost_the_same_store_work_on_every_path_that_answers_alike` (timing in `cargo bench`) |
//! | guessing through change-password | `guessing::change_password_is_not_a_guessing_oracle`, `guessing::change_password_is_limited_per_user_from_any_address` |
//! | a dead session dodging a lock or a sign-in notice | `guessing::only_valid_sessions_make_a_client_known` |
//! | oversized keys from an unparsable email | `guessing::an_oversized_unparsable_email_is_counted_under_a_bounded_key` |
//! | one client spelled as two addresses (IPv4-mapped IPv6, ports) | `addresses::an_ipv4_mapped_address_is_the_ipv4_address_for_limits_and_bindings` |
//! | an unreadable forwarded address falling back to the proxy's | `addresses::a_forwarded_address_that_does_not_parse_is_refused_not_replaced_by_the_proxys` |
//! | a CAPTCHA answer from another site or form, or none on register and forgot-password | `captcha::*` |
//! | a TOTP code replayed, or one code twice at once | `crate::mfa::enable_logout_login_verify_replay_recovery_until_the_codes_run_out`, `crate::mfa::guessing::the_same_code_twice_at_once_signs_in_once` |
//! | guessing codes or recovery codes (lock, doubling, bursts, CAPTCHA after) | `crate::mfa::guessing::five_wrong_codes_lock_for_five_minutes_then_ten_and_a_good_code_starts_over`, `crate::mfa::guessing::concurrent_guesses_past_the_limit_are_refused_unchecked`, `crate::mfa::guessing::five_wrong_recovery_codes_lock_like_five_wrong_codes`, `crate::mfa::guessing::after_an_mfa_lock_the_next_code_needs_a_captcha_answer_for_2fa` |
//! | an mfaToken from another client or network, expired, or after a reset | `crate::mfa::second_step::the_mfa_token_is_bound_to_its_client_expires_and_is_never_a_session`, `crate::mfa::second_step::the_mfa_token_is_bound_to_the_address_prefix_of_its_login`, `crate::mfa::second_step::a_password_reset_does_not_bypass_the_second_factor` |
//! | a stolen session keeping the owner's second factor locked | `crate::mfa::guessing::a_stolen_session_guessing_codes_locks_the_factor_once_and_loses_itself` |
//! | a lock placed between the password and the code | `crate::mfa::second_step::an_administrators_lock_placed_after_the_password_holds_at_the_second_step` |
//! | a failed notice costing a recovery code | `crate::mfa::second_step::a_recovery_code_is_not_spent_when_the_new_sign_in_notice_cannot_go_out` |
//! | every admin route × every role (USER, SUPPORT, BILLING_ADMIN, ADMIN, none) | `crate::admin::rbac::every_admin_route_answers_each_role_as_the_contract_says` |
//! | SUPPORT acting on an account that holds more than USER | `crate::admin::rbac::support_acts_only_on_accounts_whose_only_role_is_user` |
//! | demoting the last administrator, oneself, or two at once | `crate::admin::accounts::roles_are_replaced_and_the_last_or_own_admin_role_is_never_removed` |
//! | a forged cursor, or one of another list, filter or user | `crate::admin::list::bad_filters_and_forged_cursors_are_refused_with_the_contracts_codes`, `crate::sessions::active_sessions_come_a_page_at_a_time_with_cursors_sealed_to_their_owner` |
//! | audit events edited, deleted, reordered or truncated behind the service's back | `crate::admin::tamper::verification_finds_an_edit_a_deletion_a_reordering_and_a_lost_newest_event` |
//! | racing appends forking an audit chain | `crate::admin::tamper::a_range_links_to_the_event_before_it_and_fifty_concurrent_appends_keep_every_chain` |
//! | pre-registering the first administrator's address | `crate::admin::seed::seeding_an_address_a_stranger_registered_first_locks_the_stranger_out` |
//! | an export too big for a Lambda response | `crate::admin::audit::wide_rows_are_cut_by_bytes_so_a_response_stays_within_the_lambda_limit` |
//! | a failed login turning an administrator's lock into one a reset lifts | `crate::store_contract::on_embedded::an_automatic_lock_never_replaces_an_administrators` (and `on_dynamodb`) |
//! | a tenant lifting its own transaction bound, or reaching another database | `crate::provisioning::databases::a_tenant_cannot_lift_the_bound_on_its_transactions_and_statements`, `crate::provisioning::databases::every_database_but_its_own_is_closed_to_a_tenant` |
//! | a tenant naming an existing database while the server is slow, down or the call dies, to get it dropped | `crate::provisioning::rollback::a_foreign_database_a_tenant_names_survives_every_failure_and_the_recovery_job`, `crate::provisioning::databases::a_taken_name_makes_nothing_and_leaves_the_owner_as_it_was` |

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
