//! One PostgreSQL server per test process (Debian's package, a cluster in a temp folder on a
//! loopback port), started on first use and gone when the process ends.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub struct Postgres {
    pub port: u16,
    /// The superuser `latch_admin`'s password.
    pub password: String,
    _child: Mutex<Child>,
}

impl Postgres {
    /// `LATCH_PG_ADMIN_URL` for this server.
    pub fn admin_url(&self) -> String {
        format!(
            "postgres://latch_admin:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// A URL for `user` with `password` to database `db`.
    pub fn url_as(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }
}

/// The shared server. Fails the test, saying how to get PostgreSQL, when it cannot start.
pub fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(start)
}

fn start() -> Postgres {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("api/support/pg_watchdog.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 for the PostgreSQL harness: {e}"));
    let stdout = child.stdout.take().expect("watchdog stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let mut parts = line.split_whitespace();
    let (Ok(_), Some(Ok(port)), Some(password)) =
        (read, parts.next().map(str::parse::<u16>), parts.next())
    else {
        let _ = child.kill();
        panic!(
            "PostgreSQL did not start for the tests: install Debian's `postgresql` package \
             (scripts/test.sh does), or set LATCH_PG_BINDIR to its bin folder"
        );
    };
    Postgres {
        port,
        password: password.to_owned(),
        _child: Mutex::new(child),
    }
}

/// Connects with `url`, or says why not.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// A database name no other test uses (`^[a-z][a-z0-9_]{2,30}$`).
pub fn db_name(tag: &str) -> String {
    let raw = super::moto::unique(tag).to_lowercase().replace('-', "_");
    raw[..raw.len().min(31)].to_owned()
}
