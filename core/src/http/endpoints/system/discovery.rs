//! GET /.well-known/openid-configuration: what an OIDC-aware resource server needs to check
//! Latch's access tokens from the issuer alone (where the keys are, which algorithm signs).
//!
//! Latch is not an OAuth authorization server (tokens come from its own login, not from an
//! authorization endpoint), so the document lists no endpoint besides the keys; it carries the
//! fields OIDC Discovery 1.0 requires so that strict parsers accept it.

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, Settings};
use lambda_http::http::{Method, StatusCode};
use serde::Serialize;

pub const ROUTE: Route = Route {
    name: "openid-configuration",
    method: Method::GET,
    path: "/.well-known/openid-configuration",
    access: Access::Public,
    limit: None,
    cache: Cache::Public,
    handler,
    doc: Doc {
        summary: "OIDC discovery: the issuer, where its keys are and how its tokens are signed",
        tag: "system",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "An OpenID Provider Metadata document (the fields a resource server reads)",
        response: Some(schema_of::<Discovery>),
        content_type: "application/json",
        errors: &[],
    },
};

/// The path the JWKS is served at (the `jwks` route's).
const JWKS_PATH: &str = "/.well-known/jwks.json";

/// OpenID Provider Metadata, as far as Latch is a provider.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Discovery {
    /// Exactly the `iss` of every access token.
    #[schema(example = "https://id.example.com")]
    pub issuer: String,
    /// The JWK Set that verifies the tokens.
    #[schema(example = "https://id.example.com/.well-known/jwks.json")]
    pub jwks_uri: String,
    #[schema(example = json!(["ES256"]))]
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// Required by OIDC Discovery; Latch's tokens are bearer access tokens from its own login.
    #[schema(example = json!(["token"]))]
    pub response_types_supported: Vec<&'static str>,
    #[schema(example = json!(["public"]))]
    pub subject_types_supported: Vec<&'static str>,
    /// The claims an access token carries.
    pub claims_supported: Vec<&'static str>,
}

impl Discovery {
    pub fn of(settings: &Settings) -> Self {
        let base = settings.public_url.trim_end_matches('/');
        Self {
            issuer: settings.issuer.clone(),
            jwks_uri: format!("{base}{JWKS_PATH}"),
            id_token_signing_alg_values_supported: vec!["ES256"],
            response_types_supported: vec!["token"],
            subject_types_supported: vec!["public"],
            claims_supported: vec![
                "iss", "aud", "sub", "sid", "roles", "iat", "nbf", "exp", "jti",
            ],
        }
    }
}

fn handler(deps: &Deps, _call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move { Reply::json(StatusCode::OK, &Discovery::of(&deps.settings)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_under_the_public_url_and_the_issuer_is_the_tokens() {
        let mut settings = Settings::defaults("https://id.example.com");
        settings.public_url = "https://id.example.com/".into();
        settings.issuer = "https://issuer.example.com".into();
        let d = Discovery::of(&settings);
        assert_eq!(d.issuer, "https://issuer.example.com");
        assert_eq!(d.jwks_uri, "https://id.example.com/.well-known/jwks.json");
        assert_eq!(JWKS_PATH, super::super::jwks::ROUTE.path);
        assert_eq!(d.id_token_signing_alg_values_supported, ["ES256"]);
    }
}
