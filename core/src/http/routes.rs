//! The ONE route table: the local server mounts it, every Lambda binary picks its entry by
//! name, the OpenAPI document is generated from it, and the SAM template is checked against it.

use super::endpoints::{account, admin, auth, billing, provisioning, system};
use super::serve::Handler;
use crate::domain::Role;
pub use crate::service::guard::RateLimit;
use lambda_http::http::Method;
use utoipa::openapi::{RefOr, Schema};

/// Whether a response may be cached by clients and CDNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    NoStore,
    /// Public documents (JWKS, OpenAPI): five minutes.
    Public,
}

/// Registers a schema (and those it refers to) and returns its component name.
pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> String;

pub fn schema_of<T: utoipa::ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    let name = T::name().into_owned();
    out.push((name.clone(), T::schema()));
    T::schemas(out);
    name
}

/// One documented query parameter.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
}

/// The parameters of every list.
pub const PAGE_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "limit",
        description: "Items per page, 1 to 100 (default 50)",
        required: false,
    },
    QueryParam {
        name: "cursor",
        description: "The previous page's `nextCursor`; a cursor that was altered is 400",
        required: false,
    },
];

/// The JSON request body a route takes.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    None,
    Required(SchemaFn),
    Optional(SchemaFn),
}

/// What the OpenAPI document says of a route.
#[derive(Debug)]
pub struct Doc {
    pub summary: &'static str,
    pub tag: &'static str,
    pub body: Body,
    pub query: &'static [QueryParam],
    pub success: u16,
    pub success_description: &'static str,
    pub response: Option<SchemaFn>,
    /// Of the success response; empty for a response without a body.
    pub content_type: &'static str,
    /// Route-specific failures: status and the problem `code`s it may carry.
    pub errors: &'static [(u16, &'static [&'static str])],
}

/// Who may call a route. `serve` enforces it before the handler runs, so a handler never
/// forgets to; the OpenAPI document and the security matrix are driven by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A valid access token on a live session whose binding holds (401 otherwise).
    Bearer,
    /// As `Bearer`, and the stored user holds one of these roles (403 `forbidden` otherwise).
    Roles(&'static [Role]),
}

impl Access {
    pub fn needs_token(self) -> bool {
        self != Access::Public
    }
}

/// One endpoint: a Lambda function named `name`, mounted at `method path`.
#[derive(Debug)]
pub struct Route {
    /// Kebab-case: the binary, the SAM function's `Binary:` and the `events/` file prefix.
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// The per-client-address limit `serve` counts before anything else (429 past it).
    pub limit: Option<RateLimit>,
    pub cache: Cache,
    pub handler: Handler,
    pub doc: Doc,
}

pub static ROUTES: &[Route] = &[
    auth::register::ROUTE,
    auth::verify_email::ROUTE,
    auth::login::ROUTE,
    auth::me::ROUTE,
    auth::refresh::ROUTE,
    auth::list_sessions::ROUTE,
    auth::revoke_session::ROUTE,
    auth::logout::ROUTE,
    auth::logout_all::ROUTE,
    auth::password_strength::ROUTE,
    auth::forgot_password::ROUTE,
    auth::resend_verification::ROUTE,
    auth::reset_password::ROUTE,
    auth::change_password::ROUTE,
    auth::mfa_verify::ROUTE,
    auth::recovery_login::ROUTE,
    auth::mfa_enable_init::ROUTE,
    auth::mfa_enable_complete::ROUTE,
    auth::mfa_disable::ROUTE,
    auth::mfa_recovery_codes::ROUTE,
    account::plan::ROUTE,
    account::set_plan::ROUTE,
    account::limits::ROUTE,
    account::set_limits::ROUTE,
    billing::usage::ROUTE,
    admin::list_users::ROUTE,
    admin::get_user::ROUTE,
    admin::set_roles::ROUTE,
    admin::lock_user::ROUTE,
    admin::unlock_user::ROUTE,
    admin::reset_mfa::ROUTE,
    admin::resend_verification::ROUTE,
    admin::set_plan::ROUTE,
    admin::set_limits::ROUTE,
    admin::audit_logs::ROUTE,
    admin::audit_export::ROUTE,
    admin::audit_verify::ROUTE,
    provisioning::create_database::ROUTE,
    provisioning::list_databases::ROUTE,
    provisioning::get_database::ROUTE,
    provisioning::delete_database::ROUTE,
    provisioning::create_dns_zone::ROUTE,
    provisioning::list_dns_zones::ROUTE,
    provisioning::get_dns_zone::ROUTE,
    provisioning::delete_dns_zone::ROUTE,
    provisioning::add_dns_record::ROUTE,
    provisioning::delete_dns_record::ROUTE,
    provisioning::create_mail_domain::ROUTE,
    provisioning::list_mail_domains::ROUTE,
    provisioning::delete_mail_domain::ROUTE,
    provisioning::create_hosting_account::ROUTE,
    provisioning::list_hosting_accounts::ROUTE,
    provisioning::delete_hosting_account::ROUTE,
    system::health::ROUTE,
    system::jwks::ROUTE,
    system::discovery::ROUTE,
    system::openapi::ROUTE,
];

/// The routes whose functions hold no key (`Config::keys_needed` false): their answers use
/// neither the signing keys nor the HMAC key, so their policies have no `GetSecretValue`.
pub const KEYLESS: &[&str] = &["health", "openapi", "openid-configuration"];

/// The route a Lambda binary serves.
pub fn by_name(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.name == name)
}

/// The methods the table has for `path` (empty when the path is unknown), for `Allow`.
pub fn methods_for(path: &str) -> Vec<&'static Method> {
    ROUTES
        .iter()
        .filter(|r| match_template(r.path, path).is_some())
        .map(|r| &r.method)
        .collect()
}

/// The route for `method path` and its path parameters (`{name}` segments).
pub fn matching(method: &Method, path: &str) -> Option<(&'static Route, Vec<(String, String)>)> {
    ROUTES
        .iter()
        .filter(|r| r.method == method)
        .find_map(|r| match_template(r.path, path).map(|params| (r, params)))
}

fn match_template(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.push((name.to_owned(), ps.to_owned()));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_method_paths_are_unique_and_kebab_case() {
        let mut names = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(
                keys.insert((r.method.clone(), r.path)),
                "duplicate {} {}",
                r.method,
                r.path
            );
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.name
            );
            assert!(
                r.path.starts_with("/v1/") || r.path.starts_with("/.well-known/"),
                "{}",
                r.path
            );
        }
    }

    #[test]
    fn templates_match_segments_and_capture_parameters() {
        assert_eq!(
            match_template("/v1/a/{id}", "/v1/a/42"),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(match_template("/v1/a/{id}", "/v1/a/"), None);
        assert_eq!(match_template("/v1/a/{id}", "/v1/a/42/b"), None);
        assert_eq!(match_template("/v1/a", "/v1/a"), Some(vec![]));
        assert!(matching(&Method::POST, "/v1/auth/login").is_some());
        assert!(matching(&Method::GET, "/v1/auth/login").is_none());
        assert_eq!(by_name("login").map(|r| r.path), Some("/v1/auth/login"));
    }
}
