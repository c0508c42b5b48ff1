//! A loopback proxy in front of moto that records the operation of every AWS call passing
//! through (`X-Amz-Target`, e.g. `DynamoDB_20120810.GetItem`), so a test can count the store
//! round trips of one request exactly, and when each call began and ended, so calls issued
//! together (one step) tell apart from calls in sequence. It can also lose answers: pass a call
//! on to moto, which carries it out, and never answer it, the way a timeout after the request
//! left looks.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One call through the proxy: its `X-Amz-Target`, when it arrived and when its answer left.
#[derive(Debug, Clone)]
pub struct Call {
    pub target: String,
    pub start: Instant,
    pub end: Instant,
}

/// The calls recorded, and how long each answer is held back (so calls issued together overlap
/// by far more than a busy machine's scheduling delay, and calls in sequence never do).
#[derive(Default)]
struct Record {
    calls: Vec<Call>,
    hold: Duration,
}

pub struct CountingProxy {
    pub endpoint: String,
    record: Arc<Mutex<Record>>,
    losses: Losses,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How many more answers to lose, per DynamoDB operation.
type Losses = Arc<Mutex<Vec<(String, usize)>>>;

impl CountingProxy {
    /// The next `count` calls of DynamoDB operation `op` (`TransactWriteItems`) reach moto and
    /// take effect, but their answers never come back.
    pub fn lose_answers(&self, op: &str, count: usize) {
        self.losses.lock().unwrap().push((op.to_owned(), count));
    }

    /// The DynamoDB operations recorded since the last call, in arrival order, and forgets them.
    pub fn take_dynamodb(&self) -> Vec<String> {
        self.take_dynamodb_calls()
            .into_iter()
            .map(|c| c.target)
            .collect()
    }

    /// The DynamoDB calls recorded since the last call, in arrival order (their targets without
    /// the `DynamoDB_20120810.` prefix), and forgets them.
    pub fn take_dynamodb_calls(&self) -> Vec<Call> {
        let mut calls = std::mem::take(&mut self.record.lock().unwrap().calls);
        calls.sort_by_key(|c| c.start);
        calls
            .into_iter()
            .filter_map(|c| {
                let target = c.target.strip_prefix("DynamoDB_20120810.")?.to_owned();
                Some(Call { target, ..c })
            })
            .collect()
    }

    /// From now on every answer waits `hold` before it leaves (zero: at once).
    pub fn hold_answers(&self, hold: Duration) {
        self.record.lock().unwrap().hold = hold;
    }
}

/// Starts a proxy forwarding everything to `upstream` (moto's endpoint).
pub async fn start(upstream: &str) -> CountingProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let record = Arc::new(Mutex::new(Record::default()));
    let losses: Losses = Arc::default();
    let (calls, upstream) = (Arc::clone(&record), upstream.to_owned());
    let lose = Arc::clone(&losses);
    let client = reqwest::Client::new();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (record, upstream, client) = (Arc::clone(&calls), upstream.clone(), client.clone());
            let lose = Arc::clone(&lose);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let to = Upstream {
                        url: upstream.clone(),
                        client: client.clone(),
                    };
                    forward(req, Arc::clone(&record), Arc::clone(&lose), to)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    CountingProxy {
        endpoint,
        record,
        losses,
        task,
    }
}

struct Upstream {
    url: String,
    client: reqwest::Client,
}

async fn forward(
    req: hyper::Request<Incoming>,
    record: Arc<Mutex<Record>>,
    losses: Losses,
    Upstream {
        url: upstream,
        client,
    }: Upstream,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .map(|t| t.to_str().unwrap_or("?").to_owned());
    let lost = target.as_deref().is_some_and(|t| {
        let mut losses = losses.lock().unwrap();
        let op = t.rsplit('.').next().unwrap_or_default();
        match losses.iter_mut().find(|(o, n)| o == op && *n > 0) {
            Some((_, n)) => {
                *n -= 1;
                true
            }
            None => false,
        }
    });
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
    if lost {
        // moto has done it; the caller never hears so. It gives up on its own deadline.
        drop(res.bytes().await);
        note(&record, target, start);
        let never: std::convert::Infallible = std::future::pending().await;
        match never {}
    }
    let mut back = hyper::Response::builder().status(res.status().as_u16());
    for (name, value) in res.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            back = back.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = res.bytes().await.unwrap();
    let hold = record.lock().unwrap().hold;
    tokio::time::sleep(hold).await;
    note(&record, target, start);
    Ok(back.body(Full::new(bytes)).unwrap())
}

/// Records a call to `target` that began at `start` as ending now.
fn note(record: &Mutex<Record>, target: Option<String>, start: Instant) {
    if let Some(target) = target {
        let end = Instant::now();
        record
            .lock()
            .unwrap()
            .calls
            .push(Call { target, start, end });
    }
}
