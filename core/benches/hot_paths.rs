//! The hot pieces, measured: Argon2id at the contract's parameters, ES256 access tokens, TOTP
//! verification, and whole requests (me, refresh, jwks) handled in-process on the embedded
//! store. Run with `scripts/bench.sh`, which also times the reference C Argon2 (argon2-cffi).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::http::{self, Method};
use lambda_http::{Body, Request};
use latch_core::config::Config;
use latch_core::crypto::{AccessClaims, Argon2Params, KeyRing, PasswordHasher, SecretMaterial};
use latch_core::domain::{ClientInfo, Email, PasswordHash, PasswordPolicy, User};
use latch_core::http::{ClientAddr, routes, serve};
use latch_core::service::{Caller, Deps, tokens};
use std::collections::HashMap;
use std::hint::black_box;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn passwords(c: &mut Criterion) {
    let rt = runtime();
    let hasher = PasswordHasher::new(Argon2Params::default()).unwrap();
    let password = PasswordPolicy::default()
        .check(
            "violet-tractor-harbour-19",
            &Email::parse("b@example.com").unwrap(),
        )
        .unwrap();
    let stored: PasswordHash = rt.block_on(hasher.hash(&password)).unwrap();
    let mut group = c.benchmark_group("argon2id_m64MiB_t3_p2");
    group.sample_size(20);
    group.bench_function("hash", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(hasher.hash(&password).await.unwrap()) })
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                hasher
                    .verify("violet-tractor-harbour-19", Some(&stored))
                    .await
                    .unwrap(),
            )
        })
    });
    group.finish();
}

fn access_tokens(c: &mut Criterion) {
    let ring =
        KeyRing::from_material(&SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap())
            .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let t = now.unix_timestamp();
    let claims = AccessClaims {
        iss: "https://id.example.com".into(),
        aud: "latch".into(),
        sub: "01KAAAAAAAAAAAAAAAAAAAAAAA".into(),
        sid: "01KBBBBBBBBBBBBBBBBBBBBBBB".into(),
        roles: vec!["USER".into()],
        iat: t,
        nbf: t,
        exp: t + 900,
        jti: "01KCCCCCCCCCCCCCCCCCCCCCCC".into(),
    };
    let token = ring.sign_access(&claims).unwrap();
    c.bench_function("jwt_es256_sign", |b| {
        b.iter(|| black_box(ring.sign_access(&claims).unwrap()))
    });
    c.bench_function("jwt_es256_verify", |b| {
        b.iter(|| {
            black_box(
                ring.verify_access(&token, "https://id.example.com", "latch", now)
                    .unwrap(),
            )
        })
    });
}

fn totp(c: &mut Criterion) {
    use latch_core::crypto::totp;
    // RFC 6238's SHA-1 test secret, "12345678901234567890": the check login's second step runs.
    let secret = b"12345678901234567890";
    let code = totp::code_at(secret, 1_800_000_000).unwrap();
    c.bench_function("totp_sha1_verify_window_1", |b| {
        b.iter(|| black_box(totp::matching_step(secret, &code, 1_800_000_000)))
    });
}

/// Deps on the embedded store, a signed-in user, and requests as API Gateway would send them.
fn requests(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("LATCH_DATA_DIR", dir.path().display().to_string()),
        ("LATCH_ARGON2_M_KIB", "1024".into()),
        ("LATCH_ARGON2_T", "1".into()),
        ("LATCH_ARGON2_P", "1".into()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let deps: Deps = rt.block_on(latch_core::wiring::build(&config)).unwrap();
    let user = User::register(
        Email::parse("bench@example.com").unwrap(),
        PasswordHash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        time::OffsetDateTime::now_utc(),
    );
    let client = ClientInfo {
        ip: "127.0.0.1".parse().unwrap(),
        user_agent: "bench/1".into(),
    };
    let caller = Caller::new("bench", client.clone());
    let request =
        |method: Method, path: &str, bearer: Option<&str>, body: Option<String>| -> Request {
            let mut b = http::Request::builder()
                .method(method)
                .uri(path)
                .header("user-agent", "bench/1")
                .header("content-type", "application/json");
            if let Some(t) = bearer {
                b = b.header("authorization", format!("Bearer {t}"));
            }
            let mut req = b.body(body.map_or(Body::Empty, Body::from)).unwrap();
            req.extensions_mut().insert(ClientAddr(client.ip));
            req
        };
    rt.block_on(deps.users.create_user(
        &user,
        &latch_core::domain::OneTimeTokenRecord::issue(
            latch_core::domain::OneTimeToken::generate().hash,
            latch_core::domain::TokenPurpose::EmailVerification,
            (user.id.clone(), user.credential_epoch),
            time::OffsetDateTime::now_utc(),
            time::Duration::ZERO,
        ),
    ))
    .unwrap();
    // The session is created only for a stored user at its credential epoch.
    let first = rt
        .block_on(tokens::start_session(&deps, &caller, &user))
        .unwrap()
        .unwrap();
    let me = routes::by_name("me").unwrap();
    let jwks = routes::by_name("jwks").unwrap();
    let refresh = routes::by_name("refresh").unwrap();
    c.bench_function("request_me_embedded", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                serve(
                    &deps,
                    me,
                    request(Method::GET, "/v1/auth/me", Some(&first.access_token), None),
                )
                .await,
            )
        })
    });
    c.bench_function("request_jwks", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                serve(
                    &deps,
                    jwks,
                    request(Method::GET, "/.well-known/jwks.json", None, None),
                )
                .await,
            )
        })
    });
    let (deps_ref, caller_ref, user_ref) = (&deps, &caller, &user);
    let request = &request;
    c.bench_function("request_refresh_embedded", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            // Each refresh spends its token: mint one session per iteration, outside the timing.
            let mut fresh = Vec::new();
            for _ in 0..iters {
                fresh.push(
                    tokens::start_session(deps_ref, caller_ref, user_ref)
                        .await
                        .unwrap()
                        .unwrap()
                        .refresh_token,
                );
            }
            let started = std::time::Instant::now();
            for token in fresh {
                let body = format!(r#"{{"refreshToken":"{token}"}}"#);
                let res = serve(
                    deps_ref,
                    refresh,
                    request(Method::POST, "/v1/auth/refresh", None, Some(body)),
                )
                .await;
                assert_eq!(res.status(), 200);
                black_box(res);
            }
            started.elapsed()
        })
    });
}

criterion_group!(benches, passwords, access_tokens, totp, requests);
criterion_main!(benches);
