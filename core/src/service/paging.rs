//! Cursor pagination for every list (`?limit=&cursor=`): a cursor is an opaque, sealed position
//! a store gave out, bound to its list and filters. A store position is a key, never an offset,
//! so what is added meanwhile does not shift a page; a cursor that was edited, forged or made
//! for another list (or, for `/v1/auth/sessions`, another user) is 400.

use crate::Error;
use crate::domain::FieldError;
use crate::keys::Keys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 100;

/// The page a caller asked for: how many, and after which store position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

/// Declares a list's answer, `{"items":[...],"nextCursor":null|"..."}`, as its own type (so
/// the OpenAPI document names each list's schema).
#[macro_export]
macro_rules! listed {
    ($(#[$doc:meta])* $name:ident of $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last one.
            pub next_cursor: Option<String>,
        }
    };
}

/// What seals a cursor to its list: the list's name and every filter that shaped it.
pub fn scope(list: &str, filters: &[(&str, Option<&str>)]) -> String {
    let mut out = list.to_owned();
    for (name, value) in filters {
        // Lengths first, so no choice of values can make two scopes read alike.
        let value = value.unwrap_or("");
        out.push_str(&format!("|{name}:{}:{value}", value.len()));
    }
    out
}

/// Reads `limit` (1..=100, default 50; 422 otherwise) and `cursor` (400 unless this list sealed
/// it for `scope`).
pub fn request(
    keys: &Keys,
    scope: &str,
    limit: Option<&str>,
    cursor: Option<&str>,
    max: usize,
) -> Result<PageRequest, Error> {
    let limit = match limit {
        None => DEFAULT_LIMIT.min(max),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                let why = FieldError::new(
                    "limit",
                    "out_of_range",
                    format!("Use a whole number from 1 to {max}."),
                );
                return Err(Error::Validation(vec![why]));
            }
        },
    };
    let after = cursor.map(|c| open(keys, scope, c)).transpose()?;
    Ok(PageRequest { limit, after })
}

/// The cursor of the page after `position` (none when nothing follows).
pub fn seal(keys: &Keys, scope: &str, position: Option<String>) -> Result<Option<String>, Error> {
    let Some(position) = position else {
        return Ok(None);
    };
    let body = URL_SAFE_NO_PAD.encode(position.as_bytes());
    Ok(Some(format!("{body}.{}", mac(keys, scope, &body)?)))
}

fn open(keys: &Keys, scope: &str, cursor: &str) -> Result<String, Error> {
    let forged = || Error::BadRequest("The cursor is not one this list gave out.".into());
    let (body, tag) = cursor.split_once('.').ok_or_else(forged)?;
    let expected = mac(keys, scope, body)?;
    if !bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
        return Err(forged());
    }
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| forged())?;
    String::from_utf8(bytes).map_err(|_| forged())
}

fn mac(keys: &Keys, scope: &str, body: &str) -> Result<String, Error> {
    let full = keys.ring()?.keyed_hash(&format!("cursor\n{scope}\n{body}"));
    Ok(full.chars().take(32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{KeyRing, SecretMaterial};

    fn test_keys() -> Keys {
        let material = SecretMaterial::generate(time::OffsetDateTime::UNIX_EPOCH).unwrap();
        Keys::fixed(KeyRing::from_material(&material).unwrap())
    }

    #[test]
    fn cursors_open_only_for_their_own_scope_and_untouched() {
        let deps = test_keys();
        let scope_a = scope("users", &[("role", Some("ADMIN"))]);
        let scope_b = scope("users", &[("role", None)]);
        let cursor = seal(&deps, &scope_a, Some("01JZ#x".into()))
            .unwrap()
            .unwrap();
        let page = request(&deps, &scope_a, Some("10"), Some(&cursor), MAX_LIMIT).unwrap();
        assert_eq!(page.after.as_deref(), Some("01JZ#x"));
        assert_eq!(page.limit, 10);
        let bad = |c: &str, s: &str| request(&deps, s, None, Some(c), MAX_LIMIT).unwrap_err();
        assert!(matches!(bad(&cursor, &scope_b), Error::BadRequest(_)));
        let (body, tag) = cursor.split_once('.').unwrap();
        let other_body = URL_SAFE_NO_PAD.encode(b"01JZ#y");
        assert!(matches!(
            bad(&format!("{other_body}.{tag}"), &scope_a),
            Error::BadRequest(_)
        ));
        assert!(matches!(bad(body, &scope_a), Error::BadRequest(_)));
        assert!(matches!(bad("", &scope_a), Error::BadRequest(_)));
        assert_eq!(seal(&deps, &scope_a, None).unwrap(), None);
        // Without keys a cursor is neither made nor opened (never one under a made-up key).
        let keyless = Keys::none();
        assert!(seal(&keyless, &scope_a, Some("01JZ#x".into())).is_err());
        assert!(matches!(
            request(&keyless, &scope_a, None, Some(&cursor), MAX_LIMIT),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn limits_default_and_stay_in_range() {
        let deps = test_keys();
        let limit = |raw| request(&deps, "x", raw, None, MAX_LIMIT).map(|p| p.limit);
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", "1.5", ""] {
            assert!(
                matches!(limit(Some(bad)), Err(Error::Validation(_))),
                "{bad}"
            );
        }
        assert_ne!(
            scope("a", &[("x", Some("1|y:0:"))]),
            scope("a", &[("x", Some("1")), ("y", None)])
        );
    }
}
