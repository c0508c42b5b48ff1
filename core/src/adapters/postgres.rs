//! `Databases` on a PostgreSQL server (`LATCH_PG_ADMIN_URL`): a role and a database per tenant,
//! CONNECT revoked from PUBLIC. DDL cannot take bind parameters: names are `DatabaseName`s
//! (parsed, then quoted), and a password goes only as its SCRAM-SHA-256 verifier.

use crate::Error;
use crate::domain::provisioning::DatabaseName;
use crate::ports::{Creation, Databases};
use async_trait::async_trait;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

/// The admin connection's settings; each call opens its own connection (calls are rare and a
/// Lambda holds no pool across invocations worth keeping).
#[derive(Clone)]
pub struct PostgresDatabases {
    config: Config,
    host: String,
    port: u16,
    /// Each call, connecting included, within this.
    deadline: Duration,
    /// Set once the server's own databases are closed to tenants: checked once per process,
    /// not on every creation.
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for PostgresDatabases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it holds the admin password.
        write!(f, "PostgresDatabases({}:{})", self.host, self.port)
    }
}

impl PostgresDatabases {
    /// From an admin URL `postgres://user:password@host:port/db`; `None` with the reason when it
    /// does not parse or names no TCP host (the reason never repeats the URL).
    pub fn new(admin_url: &str, deadline: Duration) -> Result<Self, String> {
        let mut config: Config = admin_url
            .parse()
            .map_err(|_| "not a postgres:// URL".to_owned())?;
        let host = config
            .get_hosts()
            .iter()
            .find_map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => Some(name.clone()),
                _ => None,
            })
            .ok_or_else(|| "names no TCP host".to_owned())?;
        let port = config.get_ports().first().copied().unwrap_or(5432);
        config.connect_timeout(deadline);
        config.application_name("latch");
        Ok(Self {
            config,
            host,
            port,
            deadline,
            closed: std::sync::Arc::default(),
        })
    }

    async fn connect(&self) -> Result<Client, Error> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| outage("postgres connect", &e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(target: "latch::dependency", error = %e, "postgres connection ended");
            }
        });
        Ok(client)
    }

    /// Runs `work` on a fresh connection within the deadline.
    async fn within<T>(
        &self,
        what: &str,
        work: impl AsyncFnOnce(&Client) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let run = async {
            let client = self.connect().await?;
            work(&client).await
        };
        match tokio::time::timeout(self.deadline, run).await {
            Ok(out) => out,
            Err(_) => Err(crate::telemetry::outage(what, true, "no answer in time")),
        }
    }
}

/// Revokes PUBLIC's CONNECT and TEMPORARY on every database of the server that is open to
/// PUBLIC (the maintenance database, `template1`, the admin URL's own, the operator's others):
/// tenants reach their own database alone, by its explicit grant. One idle tenant connection to
/// `template1` would stop every `CREATE DATABASE`, and any catalog lists everyone. Run once per
/// process before the first create; two creates at once may both try (the loser's error is fine
/// once the database is closed).
async fn close_server_databases(client: &Client) -> Result<(), Error> {
    // Tenants' own databases are closed when they are made (and a tenant may open its own).
    let open = async || -> Result<Vec<String>, Error> {
        let rows = client
            .query(
                "SELECT d.datname FROM pg_database d JOIN pg_roles o ON o.oid = d.datdba \
                 WHERE d.datallowconn \
                   AND coalesce(shobj_description(o.oid, 'pg_authid'), '') !~ '^latch:[A-Za-z0-9_]+$' \
                   AND (has_database_privilege('public', d.datname, 'CONNECT') \
                        OR has_database_privilege('public', d.datname, 'TEMPORARY'))",
                &[],
            )
            .await
            .map_err(|e| outage("postgres has_database_privilege", &e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    };
    for db in open().await? {
        let quoted = format!("\"{}\"", db.replace('"', "\"\""));
        let revoke = format!("REVOKE CONNECT, TEMPORARY ON DATABASE {quoted} FROM PUBLIC");
        match client.batch_execute(&revoke).await {
            Ok(()) => {
                tracing::warn!(target: "latch::provisioning", database = %db, "closed to PUBLIC: tenants reach their own database alone");
            }
            Err(_) if !open().await?.contains(&db) => {}
            Err(e) => return Err(outage("postgres REVOKE CONNECT", &e)),
        }
    }
    // A REVOKE by a role that neither owns a database nor is superuser only warns: check.
    let still = open().await?;
    if !still.is_empty() {
        return Err(Error::internal(format!(
            "the admin role could not close {} to PUBLIC (it must own them or be superuser): tenants could reach them",
            still.join(", ")
        )));
    }
    Ok(())
}

/// Connections one tenant role may hold at once: a tenant cannot take the whole server.
pub const TENANT_CONNECTIONS: u32 = 20;

fn outage(what: &str, e: &tokio_postgres::Error) -> Error {
    crate::telemetry::outage_of(what, false, e)
}

/// The SQL literal that sets `password`: its SCRAM-SHA-256 verifier under a fresh salt, so the
/// password itself never reaches the server (nor a statement log there).
fn password_literal(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    crate::crypto::random::fill(&mut salt);
    let verifier =
        crate::crypto::scram::verifier(password, &salt, crate::crypto::scram::ITERATIONS)
            .ok_or_else(|| Error::internal("a tenant password must be printable ASCII"))?;
    // The verifier's alphabet (letters, digits, `+/=`, `$`, `:`, `-`) holds no quote.
    Ok(format!("'{verifier}'"))
}

/// Ends the sessions of tenant roles (those carrying Latch's mark) whose transaction or running
/// statement is older than `bound`: limits a tenant cannot lift with `SET` or `ALTER ROLE`.
/// Returns how many it ended.
async fn end_overlong_sessions(client: &Client, bound: std::time::Duration) -> Result<u64, Error> {
    // Seeing other roles' transactions and ending their sessions takes these (a superuser has
    // them): without them the query below would see nothing and end nothing, silently.
    let able: bool = client
        .query_one(
            "SELECT rolsuper OR (pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') \
                    AND pg_has_role(current_user, 'pg_signal_backend', 'USAGE')) \
             FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .map_err(|e| outage("postgres pg_has_role", &e))?
        .get(0);
    if !able {
        return Err(Error::internal(
            "the admin role needs pg_read_all_stats and pg_signal_backend to bound tenant sessions",
        ));
    }
    let secs = bound.as_secs_f64();
    let rows = client
        .query(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid)) \
             FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid \
             WHERE shobj_description(r.oid, 'pg_authid') ~ '^latch:[A-Za-z0-9_]+$' \
               AND NOT r.rolsuper \
               AND a.pid <> pg_backend_pid() \
               AND (a.xact_start < now() - make_interval(secs => $1) \
                    OR (a.state = 'active' AND a.query_start < now() - make_interval(secs => $1)))",
            &[&secs],
        )
        .await
        .map_err(|e| outage("postgres pg_terminate_backend", &e))?;
    Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0)) as u64)
}

/// The comment a role Latch made for resource `owner` carries: its proof of ownership.
fn mark_of(owner: &str) -> Result<String, Error> {
    if owner.is_empty() || !owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::internal(
            "a resource id is letters, digits and underscores",
        ));
    }
    Ok(format!("latch:{owner}"))
}

/// Drops database `name` and role `name`, but only what is proven made by Latch for the
/// resource `mark` names: the role must carry that mark, and the database must be owned by that
/// role. Anything else of that name (a role without the mark, a database of another owner) is
/// foreign and stays as it is: fail closed. What is already gone is fine.
async fn drop_proven(
    client: &tokio_postgres::Client,
    name: &DatabaseName,
    mark: &str,
) -> Result<(), Error> {
    let rows = client
        .query(
            "SELECT shobj_description(r.oid, 'pg_authid'), \
                    EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = $1 AND d.datdba = r.oid) \
             FROM pg_roles r WHERE r.rolname = $1",
            &[&name.as_str()],
        )
        .await
        .map_err(|e| outage("postgres SELECT pg_roles", &e))?;
    let Some(row) = rows.first() else {
        return Ok(());
    };
    let (found, owns_database): (Option<String>, bool) = (row.get(0), row.get(1));
    if found.as_deref() != Some(mark) {
        tracing::warn!(target: "latch::provisioning", role = name.as_str(), expected = mark, "a role of a provisioned name is not Latch's for this resource: left as it is");
        return Ok(());
    }
    let id = name.quoted();
    if owns_database {
        // FORCE ends every connection to it first (PostgreSQL 13 and later).
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {id} WITH (FORCE)"))
            .await
            .map_err(|e| outage("postgres DROP DATABASE", &e))?;
    }
    match client
        .batch_execute(&format!("DROP ROLE IF EXISTS {id}"))
        .await
    {
        Ok(()) => Ok(()),
        // Another tenant granted this role something (a privilege, a membership): the role
        // cannot go, so it is made unable to sign in and kept, its mark with it.
        Err(e) if is(&e, &SqlState::DEPENDENT_OBJECTS_STILL_EXIST) => {
            client
                .batch_execute(&format!("ALTER ROLE {id} NOLOGIN PASSWORD NULL"))
                .await
                .map_err(|e| outage("postgres ALTER ROLE NOLOGIN", &e))?;
            tracing::warn!(target: "latch::provisioning", role = name.as_str(), "a dropped database's role is still granted something elsewhere: kept without login");
            Ok(())
        }
        Err(e) => Err(outage("postgres DROP ROLE", &e)),
    }
}

/// Marks role `name` as made for `mark`'s resource when it carries no mark at all and owns the
/// database of its name: a role made before marks existed, for a resource that reached `Ready`
/// (so Latch's `CREATE ROLE` and `CREATE DATABASE` of that name both succeeded).
async fn adopt_unmarked(
    client: &tokio_postgres::Client,
    name: &DatabaseName,
    mark: &str,
) -> Result<(), Error> {
    let rows = client
        .query(
            "SELECT 1 FROM pg_roles r JOIN pg_database d ON d.datname = r.rolname AND d.datdba = r.oid \
             WHERE r.rolname = $1 AND shobj_description(r.oid, 'pg_authid') IS NULL",
            &[&name.as_str()],
        )
        .await
        .map_err(|e| outage("postgres SELECT pg_roles", &e))?;
    if rows.is_empty() {
        return Ok(());
    }
    let id = name.quoted();
    client
        .batch_execute(&format!("COMMENT ON ROLE {id} IS '{mark}'"))
        .await
        .map_err(|e| outage("postgres COMMENT ON ROLE", &e))
}

fn is(e: &tokio_postgres::Error, state: &SqlState) -> bool {
    e.code() == Some(state)
}

#[async_trait]
impl Databases for PostgresDatabases {
    async fn create(
        &self,
        name: &DatabaseName,
        password: &str,
        owner: &str,
    ) -> Result<Creation, Error> {
        let (id, secret, mark) = (name.quoted(), password_literal(password)?, mark_of(owner)?);
        self.within("postgres create database", async |client| {
            // Tenants reach their own database alone: not even the maintenance database (where
            // the catalog would list the others). Idempotent; a warning where the admin may not.
            use std::sync::atomic::Ordering;
            if !self.closed.load(Ordering::Acquire) {
                close_server_databases(client).await?;
                self.closed.store(true, Ordering::Release);
            }
            // The role and its mark in one implicit transaction (one simple query): a role
            // carries the mark only if Latch made it, for this resource. Tenants cannot comment
            // on roles (that takes CREATEROLE).
            let role = format!(
                "CREATE ROLE {id} LOGIN PASSWORD {secret} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {TENANT_CONNECTIONS}; COMMENT ON ROLE {id} IS '{mark}'"
            );
            match client.batch_execute(&role).await {
                Ok(()) => {}
                Err(e) if is(&e, &SqlState::DUPLICATE_OBJECT) => return Ok(Creation::Taken),
                Err(e) => return Err(outage("postgres CREATE ROLE", &e)),
            }
            // CREATE DATABASE runs outside a transaction: a failure from here on undoes the role.
            let made = async {
                client
                    // From template0, which nobody may change, not template1.
                    .batch_execute(&format!("CREATE DATABASE {id} OWNER {id} TEMPLATE template0"))
                    .await?;
                // Bounds a tenant's session cannot lift: idle transactions, and temporary files
                // where the admin may set that (a superuser's setting; managed servers may not).
                client
                    .batch_execute(&format!(
                        "ALTER ROLE {id} SET idle_in_transaction_session_timeout = '10min'"
                    ))
                    .await?;
                if let Err(e) = client
                    .batch_execute(&format!("ALTER ROLE {id} SET temp_file_limit = '1GB'"))
                    .await
                {
                    if !is(&e, &SqlState::INSUFFICIENT_PRIVILEGE) {
                        return Err(e);
                    }
                    tracing::warn!(target: "latch::provisioning", "temp_file_limit not set: the admin role may not");
                }
                client
                    .batch_execute(&format!(
                        "REVOKE ALL ON DATABASE {id} FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE {id} TO {id}"
                    ))
                    .await
            }
            .await;
            match made {
                Ok(()) => Ok(Creation::Created),
                Err(e) => {
                    // Undone as a remove is: only what is proven this resource's (a database of
                    // that name made by someone else stays).
                    let taken = is(&e, &SqlState::DUPLICATE_DATABASE);
                    drop_proven(client, name, &mark).await?;
                    if taken {
                        Ok(Creation::Taken)
                    } else {
                        Err(outage("postgres CREATE DATABASE", &e))
                    }
                }
            }
        })
        .await
    }

    async fn remove(&self, name: &DatabaseName, owner: &str) -> Result<(), Error> {
        let mark = mark_of(owner)?;
        self.within("postgres drop database", async |client| {
            drop_proven(client, name, &mark).await
        })
        .await
    }

    async fn end_overlong(&self, bound: std::time::Duration) -> Result<u64, Error> {
        self.within("postgres end overlong sessions", async |client| {
            end_overlong_sessions(client, bound).await
        })
        .await
    }

    async fn adopt(&self, name: &DatabaseName, owner: &str) -> Result<(), Error> {
        let mark = mark_of(owner)?;
        self.within("postgres adopt role", async |client| {
            adopt_unmarked(client, name, &mark).await
        })
        .await
    }

    async fn exists(&self, name: &DatabaseName) -> Result<bool, Error> {
        let name = name.as_str().to_owned();
        self.within("postgres find database", async |client| {
            let rows = client
                .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .map_err(|e| outage("postgres SELECT pg_database", &e))?;
            Ok(!rows.is_empty())
        })
        .await
    }

    fn endpoint(&self) -> (String, u16) {
        (self.host.clone(), self.port)
    }

    async fn ping(&self) -> Result<(), Error> {
        self.within("postgres ping", async |client| {
            client
                .batch_execute("SELECT 1")
                .await
                .map_err(|e| outage("postgres SELECT 1", &e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_url_is_parsed_and_never_shown() {
        let pg = PostgresDatabases::new(
            "postgres://latch_admin:s3cret@db.internal:6543/postgres",
            Duration::from_secs(3),
        )
        .unwrap();
        assert_eq!(pg.endpoint(), ("db.internal".to_owned(), 6543));
        assert!(!format!("{pg:?}").contains("s3cret"));
        let bad = PostgresDatabases::new("mysql://x", Duration::from_secs(1)).unwrap_err();
        assert!(!bad.contains("mysql"), "the reason never repeats the URL");
    }

    #[test]
    fn a_role_s_password_is_sent_as_a_salted_verifier_never_as_itself() {
        let password = crate::domain::provisioning::generate_password();
        let one = password_literal(&password).unwrap();
        assert!(one.starts_with("'SCRAM-SHA-256$4096:") && one.ends_with('\''));
        assert!(!one.contains(&password));
        assert_eq!(one.matches('\'').count(), 2, "no quote inside: {one}");
        assert_ne!(
            one,
            password_literal(&password).unwrap(),
            "a fresh salt each time"
        );
        assert!(password_literal("it's").is_ok());
        assert!(password_literal("naïve").is_err());
    }
}
