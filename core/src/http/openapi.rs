//! The OpenAPI 3.1 document, generated from the route table and the request/response types.

use super::problem::Problem;
use super::routes::{Access, Body, ROUTES, Route, schema_of};
use crate::Error;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};

/// Failures every operation may answer (the contract's "Every operation may also answer").
const COMMON: &[(u16, &[&str])] = &[
    (400, &["bad_request"]),
    (413, &["payload_too_large"]),
    (415, &["unsupported_media_type"]),
    (429, &["rate_limited"]),
    (500, &["internal"]),
    (503, &["unavailable"]),
];
/// Failures every bearer operation may answer.
const BEARER: &[(u16, &[&str])] = &[(401, &["invalid_token", "session_binding_mismatch"])];
/// Failures every role-checked operation may answer.
const BEARER_WITH_ROLE: &[(u16, &[&str])] = &[
    (401, &["invalid_token", "session_binding_mismatch"]),
    (403, &["forbidden"]),
];

/// Every status a route may answer with the problem codes it carries, success excluded.
pub fn failures(route: &Route) -> BTreeMap<u16, Vec<&'static str>> {
    let access: &[(u16, &[&str])] = match route.access {
        Access::Public => &[],
        Access::Bearer => BEARER,
        Access::Roles(_) => BEARER_WITH_ROLE,
    };
    let mut out: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for (status, codes) in route.doc.errors.iter().chain(COMMON).chain(access) {
        let entry = out.entry(*status).or_default();
        for code in *codes {
            if !entry.contains(code) {
                entry.push(code);
            }
        }
    }
    out
}

/// Builds the document.
pub fn document() -> OpenApi {
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    let problem = schema_of::<Problem>(&mut schemas);
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let d = &route.doc;
        let mut op = OperationBuilder::new()
            .operation_id(Some(route.name))
            .summary(Some(d.summary))
            .tag(d.tag);
        if route.access.needs_token() {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        if let Access::Roles(roles) = route.access {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            op = op.description(Some(format!("Roles: {}.", names.join(", "))));
        }
        let body = match d.body {
            Body::None => None,
            Body::Required(schema) => Some((schema, Required::True)),
            Body::Optional(schema) => Some((schema, Required::False)),
        };
        if let Some((schema, required)) = body {
            let name = schema(&mut schemas);
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(name)))
                .build();
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", content)
                    .required(Some(required))
                    .build(),
            ));
        }
        for segment in route.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let schema = ObjectBuilder::new().schema_type(Type::String).build();
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(schema)),
                );
            }
        }
        for q in d.query {
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(4096))
                .build();
            let required = if q.required {
                Required::True
            } else {
                Required::False
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(q.name)
                    .parameter_in(ParameterIn::Query)
                    .description(Some(q.description))
                    .required(required)
                    .schema(Some(schema)),
            );
        }
        let mut ok = ResponseBuilder::new().description(d.success_description);
        match d.response {
            Some(response) => {
                let name = response(&mut schemas);
                ok = ok.content(
                    d.content_type,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(name)))
                        .build(),
                );
            }
            None if d.content_type.is_empty() => {}
            None => {
                ok = ok.content(
                    d.content_type,
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().build()))
                        .build(),
                )
            }
        }
        op = op.response(d.success.to_string(), ok.build());
        for (status, codes) in failures(route) {
            let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(problem.clone())))
                .build();
            let resp = ResponseBuilder::new()
                .description(format!("Problem; code: {}", listed.join(", ")))
                .content("application/problem+json", content);
            op = op.response(status.to_string(), resp.build());
        }
        paths = paths.path(route.path, PathItem::new(method_of(route), op.build()));
    }
    let bearer = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build(),
    );
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme("bearer", bearer)
        .build();
    let info = InfoBuilder::new()
        .title("Latch")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("Identity, account, admin and provisioning API."))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components))
        .build()
}

fn method_of(route: &Route) -> HttpMethod {
    use lambda_http::http::Method;
    match route.method {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// The document as JSON, built once per process.
pub fn json() -> Result<&'static str, Error> {
    static JSON: OnceLock<Result<String, String>> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().map_err(|e| e.to_string()))
        .as_deref()
        .map_err(|e| Error::internal(format!("serializing the OpenAPI document: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> serde_json::Value {
        serde_json::from_str(json().unwrap()).unwrap()
    }

    #[test]
    fn is_openapi_3_1_and_describes_every_route_of_the_table() {
        let d = doc();
        assert!(d["openapi"].as_str().unwrap().starts_with("3.1"));
        for route in ROUTES {
            let method = route.method.as_str().to_lowercase();
            let op = &d["paths"][route.path][&method];
            assert_eq!(
                op["operationId"], route.name,
                "{} {}",
                route.method, route.path
            );
            assert!(
                op["responses"][route.doc.success.to_string()].is_object(),
                "{}",
                route.name
            );
            for (status, codes) in failures(route) {
                let desc = op["responses"][status.to_string()]["description"]
                    .as_str()
                    .unwrap_or_default();
                for code in codes {
                    assert!(
                        desc.contains(&format!("`{code}`")),
                        "{} {status} lacks {code}",
                        route.name
                    );
                }
            }
            assert_eq!(
                op["security"].is_array(),
                route.access.needs_token(),
                "{}",
                route.name
            );
            assert_eq!(
                op["requestBody"].is_object(),
                !matches!(route.doc.body, Body::None),
                "{}",
                route.name
            );
            if route.path.contains('{') {
                assert_eq!(op["parameters"][0]["in"], "path", "{}", route.name);
            }
            if route.doc.success == 204 {
                assert!(
                    op["responses"]["204"].get("content").is_none(),
                    "{}: a 204 has no body",
                    route.name
                );
            }
        }
        let paths = d["paths"].as_object().unwrap();
        let ops: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(
            ops,
            ROUTES.len(),
            "the document describes exactly the route table"
        );
    }

    #[test]
    fn every_schema_reference_resolves() {
        let d = doc();
        let text = d.to_string();
        let schemas = d["components"]["schemas"].as_object().unwrap();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
        assert!(schemas.contains_key("Problem"));
        assert!(
            schemas["RegisterRequest"]["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "password")
        );
    }
}
