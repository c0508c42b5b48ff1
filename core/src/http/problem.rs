//! The ONE mapping from `Error` to an RFC 9457 problem response.

use crate::Error;
use crate::domain::FieldError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// An RFC 9457 problem document as Latch sends it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[schema(example = "about:blank")]
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: u16,
    pub title: &'static str,
    /// Stable, machine-readable reason.
    #[schema(example = "invalid_credentials")]
    pub code: &'static str,
    /// For people; never echoes secrets or says whether an account exists.
    pub detail: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Status, `code` and `detail` for an error.
pub fn classify(err: &Error) -> (StatusCode, &'static str, String) {
    use StatusCode as S;
    let (status, code, detail): (StatusCode, &str, &str) = match err {
        Error::BadRequest(d) => return (S::BAD_REQUEST, "bad_request", d.clone()),
        Error::Validation(_) => (
            S::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Some fields are not valid.",
        ),
        Error::WeakPassword(_) => (
            S::UNPROCESSABLE_ENTITY,
            "weak_password",
            "The password does not meet the password policy.",
        ),
        Error::PasswordReused(_) => (
            S::UNPROCESSABLE_ENTITY,
            "password_reused",
            "Choose a password you have not used recently.",
        ),
        Error::InvalidCredentials => (
            S::UNAUTHORIZED,
            "invalid_credentials",
            "Invalid email or password.",
        ),
        Error::InvalidOneTimeToken => (
            S::BAD_REQUEST,
            "invalid_token",
            "The link or token is invalid, expired or already used.",
        ),
        Error::InvalidToken => (
            S::UNAUTHORIZED,
            "invalid_token",
            "The access token is missing, invalid or expired.",
        ),
        Error::TokenReused => (
            S::UNAUTHORIZED,
            "token_reused",
            "This refresh token was already used; sign in again if this session was revoked.",
        ),
        Error::SessionBindingMismatch => (
            S::UNAUTHORIZED,
            "session_binding_mismatch",
            "This session was created on another client; sign in again.",
        ),
        Error::EmailNotVerified => (
            S::FORBIDDEN,
            "email_not_verified",
            "Confirm your email address first.",
        ),
        Error::Forbidden => (S::FORBIDDEN, "forbidden", "You may not do this."),
        Error::NotFound => (S::NOT_FOUND, "not_found", "Nothing here."),
        Error::MethodNotAllowed { .. } => (
            S::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This path does not take this method.",
        ),
        Error::Conflict => (
            S::CONFLICT,
            "conflict",
            "This conflicts with the current state.",
        ),
        Error::PayloadTooLarge => (
            S::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is larger than 16 KiB.",
        ),
        Error::UnsupportedMediaType => (
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        ),
        Error::CaptchaRequired => (
            S::BAD_REQUEST,
            "captcha_required",
            "Solve the CAPTCHA and send its token as captchaToken.",
        ),
        Error::CaptchaInvalid => (
            S::BAD_REQUEST,
            "captcha_invalid",
            "The CAPTCHA token was not accepted; solve it again.",
        ),
        Error::AccountLocked { .. } => (
            S::LOCKED,
            "account_locked",
            "This account is locked for now; try again later or reset the password.",
        ),
        Error::InvalidCode => (
            S::UNAUTHORIZED,
            "invalid_code",
            "That code is not valid; codes work once, within their 30 seconds.",
        ),
        Error::MfaLocked { .. } => (
            S::LOCKED,
            "mfa_locked",
            "Too many wrong codes; try again later.",
        ),
        Error::SpendCapReached => (
            S::PAYMENT_REQUIRED,
            "spend_cap_reached",
            "This charge would take the month's spend above its cap; nothing was charged.",
        ),
        Error::PlanQuotaExceeded => (
            S::PAYMENT_REQUIRED,
            "plan_quota_exceeded",
            "The plan allows fewer resources than this needs; nothing was changed.",
        ),
        Error::RateLimited { .. } => (
            S::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests; slow down.",
        ),
        Error::Unavailable(_) => (
            S::SERVICE_UNAVAILABLE,
            "unavailable",
            "A dependency is unavailable; try again shortly.",
        ),
        Error::NotConfigured(setting) => {
            let detail = format!("This deployment does not provide it: {setting} is not set.");
            return (S::SERVICE_UNAVAILABLE, "unavailable", detail);
        }
        Error::Internal(_) => (
            S::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side.",
        ),
    };
    (status, code, detail.to_owned())
}

/// The problem+json response for `err`, with `WWW-Authenticate` and `Retry-After` where due.
pub fn response(err: &Error, request_id: &str) -> Response<Body> {
    let (status, code, detail) = classify(err);
    let errors = match err {
        Error::Validation(e) | Error::WeakPassword(e) | Error::PasswordReused(e) => Some(e.clone()),
        _ => None,
    };
    let problem = Problem {
        kind: "about:blank",
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        code,
        detail,
        request_id: request_id.to_owned(),
        errors,
    };
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| {
        String::from(r#"{"type":"about:blank","status":500,"code":"internal"}"#)
    });
    let mut res = Response::new(Body::Text(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    match err {
        Error::InvalidToken | Error::SessionBindingMismatch | Error::TokenReused => {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        Error::MethodNotAllowed { allowed } => {
            if let Ok(v) = HeaderValue::from_str(allowed) {
                h.insert(header::ALLOW, v);
            }
        }
        Error::AccountLocked { retry_after_secs }
        | Error::MfaLocked { retry_after_secs }
        | Error::RateLimited { retry_after_secs } => {
            h.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        Error::Unavailable(_) | Error::NotConfigured(_) => {
            let secs = crate::deadlines::UNAVAILABLE_RETRY_AFTER_S;
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        _ => {}
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(err: Error, status: u16, code: &str) -> serde_json::Value {
        let res = response(&err, "req-1");
        assert_eq!(res.status().as_u16(), status, "{err:?}");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let Body::Text(body) = res.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["code"], code);
        assert_eq!(v["status"], status);
        assert_eq!(v["type"], "about:blank");
        assert_eq!(v["requestId"], "req-1");
        assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
        v
    }

    #[test]
    fn every_variant_has_its_status_and_code() {
        check(
            Error::BadRequest("Unknown field `x`.".into()),
            400,
            "bad_request",
        );
        check(Error::InvalidCredentials, 401, "invalid_credentials");
        check(Error::CaptchaRequired, 400, "captcha_required");
        check(Error::CaptchaInvalid, 400, "captcha_invalid");
        check(Error::InvalidOneTimeToken, 400, "invalid_token");
        check(Error::EmailNotVerified, 403, "email_not_verified");
        check(Error::Forbidden, 403, "forbidden");
        check(Error::NotFound, 404, "not_found");
        check(Error::Conflict, 409, "conflict");
        let res = response(
            &Error::MethodNotAllowed {
                allowed: "GET".into(),
            },
            "r",
        );
        assert_eq!(res.headers()[header::ALLOW], "GET");
        check(
            Error::MethodNotAllowed {
                allowed: "GET".into(),
            },
            405,
            "method_not_allowed",
        );
        check(Error::PayloadTooLarge, 413, "payload_too_large");
        check(Error::UnsupportedMediaType, 415, "unsupported_media_type");
        let off = check(
            Error::NotConfigured("LATCH_PG_ADMIN_URL"),
            503,
            "unavailable",
        );
        assert!(
            off["detail"]
                .as_str()
                .unwrap()
                .contains("LATCH_PG_ADMIN_URL"),
            "names the setting"
        );
    }

    #[test]
    fn field_errors_are_listed() {
        let e = vec![FieldError::new(
            "password",
            "too_short",
            "Use at least 8 characters.",
        )];
        let v = check(Error::WeakPassword(e.clone()), 422, "weak_password");
        assert_eq!(v["errors"][0]["field"], "password");
        assert_eq!(v["errors"][0]["code"], "too_short");
        check(Error::PasswordReused(e.clone()), 422, "password_reused");
        let v = check(Error::Validation(e), 422, "validation_failed");
        assert_eq!(v["errors"].as_array().unwrap().len(), 1);
        assert!(
            check(Error::Conflict, 409, "conflict")
                .get("errors")
                .is_none()
        );
    }

    #[test]
    fn credential_errors_challenge_with_bearer() {
        for (err, code) in [
            (Error::InvalidToken, "invalid_token"),
            (Error::TokenReused, "token_reused"),
            (Error::SessionBindingMismatch, "session_binding_mismatch"),
        ] {
            let res = response(&err, "r");
            assert_eq!(
                res.headers()[header::WWW_AUTHENTICATE],
                "Bearer error=\"invalid_token\""
            );
            check(err, 401, code);
        }
        assert!(
            response(&Error::InvalidCredentials, "r")
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .is_none()
        );
    }

    #[test]
    fn locks_and_limits_say_when_to_retry() {
        let res = response(
            &Error::AccountLocked {
                retry_after_secs: 900,
            },
            "r",
        );
        assert_eq!(res.headers()[header::RETRY_AFTER], "900");
        check(
            Error::AccountLocked {
                retry_after_secs: 900,
            },
            423,
            "account_locked",
        );
        let res = response(
            &Error::RateLimited {
                retry_after_secs: 42,
            },
            "r",
        );
        assert_eq!(res.headers()[header::RETRY_AFTER], "42");
        check(
            Error::RateLimited {
                retry_after_secs: 42,
            },
            429,
            "rate_limited",
        );
    }

    #[test]
    fn payment_required_failures() {
        check(Error::SpendCapReached, 402, "spend_cap_reached");
        check(Error::PlanQuotaExceeded, 402, "plan_quota_exceeded");
    }

    #[test]
    fn second_factor_failures() {
        check(Error::InvalidCode, 401, "invalid_code");
        let locked = Error::MfaLocked {
            retry_after_secs: 300,
        };
        assert_eq!(response(&locked, "r").headers()[header::RETRY_AFTER], "300");
        check(locked, 423, "mfa_locked");
    }

    /// One of each variant: every `code` the mapping can produce.
    fn every_code() -> std::collections::BTreeSet<(u16, &'static str)> {
        let field = || vec![FieldError::new("f", "c", "m")];
        let secs = 1;
        [
            Error::BadRequest(String::new()),
            Error::Validation(field()),
            Error::WeakPassword(field()),
            Error::PasswordReused(field()),
            Error::InvalidCredentials,
            Error::InvalidOneTimeToken,
            Error::InvalidToken,
            Error::TokenReused,
            Error::SessionBindingMismatch,
            Error::EmailNotVerified,
            Error::Forbidden,
            Error::NotFound,
            Error::MethodNotAllowed {
                allowed: String::new(),
            },
            Error::Conflict,
            Error::PayloadTooLarge,
            Error::UnsupportedMediaType,
            Error::CaptchaRequired,
            Error::CaptchaInvalid,
            Error::AccountLocked {
                retry_after_secs: secs,
            },
            Error::InvalidCode,
            Error::MfaLocked {
                retry_after_secs: secs,
            },
            Error::SpendCapReached,
            Error::PlanQuotaExceeded,
            Error::RateLimited {
                retry_after_secs: secs,
            },
            Error::Unavailable("x".into()),
            Error::NotConfigured("LATCH_X"),
            Error::internal("x"),
        ]
        .iter()
        .map(|e| {
            let (status, code, _) = classify(e);
            (status.as_u16(), code)
        })
        .collect()
    }

    #[test]
    fn every_code_a_route_declares_is_one_the_mapping_produces() {
        let produced = every_code();
        for route in crate::http::ROUTES {
            for (status, codes) in crate::http::openapi::failures(route) {
                for code in codes {
                    assert!(
                        produced.contains(&(status, code)),
                        "{} declares {status} {code}, which no error maps to",
                        route.name
                    );
                }
            }
        }
    }

    #[test]
    fn failures_never_leak_internals() {
        let v = check(
            Error::internal("db password=hunter2 at line 7"),
            500,
            "internal",
        );
        assert!(!v.to_string().contains("hunter2"));
        let v = check(
            Error::Unavailable("dynamodb timeout to 10.0.0.7".into()),
            503,
            "unavailable",
        );
        assert!(!v.to_string().contains("10.0.0.7"));
    }

    #[test]
    fn unavailable_asks_for_a_retry_after_a_moment() {
        let res = response(
            &Error::Unavailable("dynamodb GetItem timed out".into()),
            "req-1",
        );
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()[header::RETRY_AFTER],
            crate::deadlines::UNAVAILABLE_RETRY_AFTER_S
                .to_string()
                .as_str()
        );
    }
}
