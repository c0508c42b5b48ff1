//! A loopback proxy in front of moto that records the operation of every AWS call passing
//! through (`X-Amz-Target`, e.g. `DynamoDB_20120810.GetItem`), so a test can count the store
//! round trips of one request exactly.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use std::sync::{Arc, Mutex};

pub struct CountingProxy {
    pub endpoint: String,
    calls: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingProxy {
    /// The DynamoDB operations recorded since the last call, in arrival order, and forgets them.
    pub fn take_dynamodb(&self) -> Vec<String> {
        let calls = std::mem::take(&mut *self.calls.lock().unwrap());
        calls
            .into_iter()
            .filter_map(|t| t.strip_prefix("DynamoDB_20120810.").map(str::to_owned))
            .collect()
    }
}

/// Starts a proxy forwarding everything to `upstream` (moto's endpoint).
pub async fn start(upstream: &str) -> CountingProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (record, upstream) = (Arc::clone(&calls), upstream.to_owned());
    let client = reqwest::Client::new();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (record, upstream, client) =
                (Arc::clone(&record), upstream.clone(), client.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    forward(req, Arc::clone(&record), upstream.clone(), client.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    CountingProxy {
        endpoint,
        calls,
        task,
    }
}

async fn forward(
    req: hyper::Request<Incoming>,
    record: Arc<Mutex<Vec<String>>>,
    upstream: String,
    client: reqwest::Client,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = req.into_parts();
    if let Some(target) = parts.headers.get("x-amz-target") {
        record
            .lock()
            .unwrap()
            .push(target.to_str().unwrap_or("?").to_owned());
    }
    let body = body.collect().await.unwrap().to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut out = client
        .request(method, format!("{upstream}{path}"))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let res = out.send().await.unwrap();
    let mut back = hyper::Response::builder().status(res.status().as_u16());
    for (name, value) in res.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            back = back.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = res.bytes().await.unwrap();
    Ok(back.body(Full::new(bytes)).unwrap())
}
