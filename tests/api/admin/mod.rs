//! The `/v1/admin` routes over HTTP, on both stores: the role matrix, the account list and its
//! actions, and the audit trail's search, export and verification (tampering included).

mod accounts;
mod audit;
mod list;
mod rbac;
mod seed;
mod tamper;

use crate::support::{Reply, TestApp};
use reqwest::Method;
use serde_json::Value;

impl TestApp {
    /// GET `path` as the holder of `access`.
    pub async fn admin_get(&self, path: &str, access: &str) -> Reply {
        self.call(Method::GET, path, Some(access), None).await
    }

    /// POST `body` (or nothing) to `path` as the holder of `access`.
    pub async fn admin_post(&self, path: &str, access: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.call(Method::POST, path, Some(access), body).await
    }

    /// Every page of a list, following `nextCursor`.
    pub async fn all_pages(&self, path: &str, access: &str) -> Vec<Value> {
        self.pages_from(path, access, None).await
    }

    /// The pages of a list from `cursor` on (the first page when `None`).
    pub async fn pages_from(&self, path: &str, access: &str, cursor: Option<String>) -> Vec<Value> {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = cursor;
        for _ in 0..100 {
            let url = match &next {
                Some(c) => format!("{path}{sep}cursor={}", urlencoding(c)),
                None => path.to_owned(),
            };
            let page = self.admin_get(&url, access).await;
            assert_eq!(page.status, 200, "{url}: {}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["nextCursor"].as_str() {
                Some(c) => next = Some(c.to_owned()),
                None => return items,
            }
        }
        panic!("{path} never ended");
    }
}

/// Percent-encodes a query value.
pub fn urlencoding(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
