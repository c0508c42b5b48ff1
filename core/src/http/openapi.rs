//! The OpenAPI 3.1 document, generated from the route table and the request/response types.

use super::problem::Problem;
use super::routes::{Access, Body, ROUTES, Route, schema_of};
use crate::Error;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
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
            // Every value Latch reads from a query (a token, a cursor, an address, a time) fits
            // in 512 characters; longer ones are refused, and a list's six of them stay well
            // within any server's URI limit.
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(512))
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
        ok = ok.header("X-Request-Id", request_id_header());
        op = op.response(d.success.to_string(), ok.build());
        for (status, codes) in failures(route) {
            let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(problem.clone())))
                .build();
            let mut resp = ResponseBuilder::new()
                .description(format!("Problem; code: {}", listed.join(", ")))
                .content("application/problem+json", content)
                .header("X-Request-Id", request_id_header());
            if matches!(status, 423 | 429) {
                let seconds = ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .build();
                let retry = HeaderBuilder::new()
                    .schema(seconds)
                    .description(Some("Seconds until the lock or the window ends."));
                resp = resp.header("Retry-After", retry.build());
            }
            if status == 401 && codes.iter().all(|c| CHALLENGED.contains(c)) {
                let challenge = HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String).build())
                    .description(Some("`Bearer error=\"invalid_token\"`"));
                resp = resp.header("WWW-Authenticate", challenge.build());
            }
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

/// The 401 codes answered with a `WWW-Authenticate: Bearer` challenge.
const CHALLENGED: &[&str] = &["invalid_token", "session_binding_mismatch", "token_reused"];

fn request_id_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String).build())
        .description(Some(
            "The request's id (the caller's when sane), also in logs and audit.",
        ))
        .build()
}

/// Every header this document declares is one Latch always sends with that response; utoipa
/// cannot say `required`, so it is added to the JSON.
fn require_headers(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for op in paths
        .values_mut()
        .filter_map(|p| p.as_object_mut())
        .flat_map(|p| p.values_mut())
    {
        let Some(responses) = op["responses"].as_object_mut() else {
            continue;
        };
        for headers in responses
            .values_mut()
            .filter_map(|r| r["headers"].as_object_mut())
        {
            for header in headers.values_mut() {
                header["required"] = serde_json::Value::Bool(true);
            }
        }
    }
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
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(document()).map_err(|e| e.to_string())?;
        require_headers(&mut doc);
        serde_json::to_string(&doc).map_err(|e| e.to_string())
    })
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
            for (status, resp) in op["responses"].as_object().unwrap() {
                let headers = &resp["headers"];
                assert_eq!(
                    headers["X-Request-Id"]["required"], true,
                    "{} {status}",
                    route.name
                );
                let retry = headers.get("Retry-After").is_some();
                assert_eq!(
                    retry,
                    status == "423" || status == "429",
                    "{} {status}",
                    route.name
                );
            }
            let unauthorized = failures(route).remove(&401).unwrap_or_default();
            if !unauthorized.is_empty() {
                let challenge = &op["responses"]["401"]["headers"]["WWW-Authenticate"];
                let always = unauthorized.iter().all(|c| CHALLENGED.contains(c));
                assert_eq!(challenge["required"] == true, always, "{}", route.name);
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
