//! A fake Turnstile siteverify on loopback, and counts the calls. With the secret `test-secret`,
//! a token `good-token[:action[:hostname]]` answers success for that action (default `login`) on
//! that hostname (default `app.example.com`, the one `CAPTCHA_SETTINGS` configures); any other
//! token answers failure.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct SiteVerify {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SiteVerify {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SiteVerify {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// The settings that turn CAPTCHA on against the fake at `url`.
pub fn settings(url: &str) -> [(&'static str, &str); 4] {
    [
        ("LATCH_CAPTCHA", "turnstile"),
        ("LATCH_TURNSTILE_SECRET", "test-secret"),
        ("LATCH_TURNSTILE_VERIFY_URL", url),
        ("LATCH_TURNSTILE_HOSTNAMES", "app.example.com"),
    ]
}

pub async fn start() -> SiteVerify {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/turnstile/v0/siteverify",
        listener.local_addr().unwrap()
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let counter = Arc::clone(&counter);
                        async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let form: Vec<(String, String)> = form_pairs(&body);
                            let has = |k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
                            let token = form
                                .iter()
                                .find(|(k, _)| k == "response")
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default();
                            let mut parts = token.split(':');
                            let good = parts.next() == Some("good-token");
                            let action = parts.next().unwrap_or("login").to_owned();
                            let hostname = parts.next().unwrap_or("app.example.com").to_owned();
                            let ok = good
                                && has("secret", "test-secret")
                                && form.iter().any(|(k, _)| k == "remoteip");
                            let json = serde_json::json!({
                                "success": ok,
                                "error-codes": [],
                                "hostname": hostname,
                                "action": action,
                            })
                            .to_string();
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                Bytes::from(json),
                            )))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    SiteVerify { url, calls, task }
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let v = v.replace("%2F", "/").replace("%3A", ":").replace('+', " ");
            (k.to_owned(), v)
        })
        .collect()
}
