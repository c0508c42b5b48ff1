//! The `Databases` contract on a real PostgreSQL server: a tenant reaches its own database with
//! its password and nobody else's; a taken name makes nothing; a drop ends live connections and
//! leaves no role behind.

use crate::support::moto::unique;
use crate::support::postgres::{connect, postgres};
use latch_core::adapters::postgres::PostgresDatabases;
use latch_core::domain::provisioning::{DatabaseName, generate_password};
use latch_core::ports::{Creation, Databases};
use std::time::Duration;

/// The resource the databases of these tests are made for.
const OWNER: &str = "01JTESTRESOURCE0000000000";

fn provider() -> PostgresDatabases {
    PostgresDatabases::new(&postgres().admin_url(), Duration::from_secs(5)).unwrap()
}

fn fresh_name() -> DatabaseName {
    let raw = unique("t").to_lowercase().replace('-', "_");
    DatabaseName::parse(&raw[..raw.len().min(31)]).unwrap()
}

async fn role_exists(name: &DatabaseName) -> bool {
    let admin = connect(&postgres().admin_url()).await.unwrap();
    let rows = admin
        .query(
            "SELECT 1 FROM pg_roles WHERE rolname = $1",
            &[&name.as_str()],
        )
        .await
        .unwrap();
    !rows.is_empty()
}

#[tokio::test]
async fn a_tenant_reaches_its_own_database_and_no_other() {
    let pg = provider();
    let (mine, theirs) = (fresh_name(), fresh_name());
    let (my_pw, their_pw) = (generate_password(), generate_password());
    assert_eq!(
        pg.create(&mine, &my_pw, OWNER).await.unwrap(),
        Creation::Created
    );
    assert_eq!(
        pg.create(&theirs, &their_pw, OWNER).await.unwrap(),
        Creation::Created
    );
    assert!(pg.exists(&mine).await.unwrap());
    let server = postgres();
    let me = connect(&server.url_as(mine.as_str(), &my_pw, mine.as_str()))
        .await
        .expect("the owner connects to its database");
    me.batch_execute("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)")
        .await
        .expect("and owns it");
    let across = connect(&server.url_as(mine.as_str(), &my_pw, theirs.as_str())).await;
    let Err(err) = across else {
        panic!("another tenant's database refuses it");
    };
    let why = err
        .as_db_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_default();
    assert!(why.contains("permission denied"), "{err:?}");
    let wrong = connect(&server.url_as(mine.as_str(), &their_pw, mine.as_str())).await;
    assert!(
        wrong.is_err(),
        "another tenant's password is not this one's"
    );
    for own in ["postgres", "template1"] {
        let public = connect(&server.url_as(theirs.as_str(), &their_pw, own)).await;
        assert!(
            public.is_err(),
            "a tenant reaches no database but its own, not even {own}"
        );
    }
    let limit = &me
        .query(
            "SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap()[0];
    assert_eq!(
        limit.get::<_, i32>(0),
        20,
        "one tenant cannot take every connection"
    );
    let role = &me
        .query("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user", &[])
        .await
        .unwrap()[0];
    assert_eq!(
        (
            role.get::<_, bool>(0),
            role.get::<_, bool>(1),
            role.get::<_, bool>(2)
        ),
        (false, false, false)
    );
    pg.remove(&mine, OWNER).await.unwrap();
    pg.remove(&theirs, OWNER).await.unwrap();
}

#[tokio::test]
async fn a_taken_name_makes_nothing_and_leaves_the_owner_as_it_was() {
    let pg = provider();
    let name = fresh_name();
    let password = generate_password();
    assert_eq!(
        pg.create(&name, &password, OWNER).await.unwrap(),
        Creation::Created
    );
    assert_eq!(
        pg.create(&name, &generate_password(), OWNER).await.unwrap(),
        Creation::Taken
    );
    let owner = connect(&postgres().url_as(name.as_str(), &password, name.as_str())).await;
    assert!(owner.is_ok(), "the first password still works");
    // A role of that name made outside Latch (no database) is taken too, and stays.
    let stray = fresh_name();
    let admin = connect(&postgres().admin_url()).await.unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE {}", stray.quoted()))
        .await
        .unwrap();
    assert_eq!(
        pg.create(&stray, &password, OWNER).await.unwrap(),
        Creation::Taken
    );
    assert!(!pg.exists(&stray).await.unwrap());
    assert!(role_exists(&stray).await);
    // A database of that name without a role: taken, and the role made on the way is undone.
    let orphan = fresh_name();
    admin
        .batch_execute(&format!("CREATE DATABASE {}", orphan.quoted()))
        .await
        .unwrap();
    assert_eq!(
        pg.create(&orphan, &password, OWNER).await.unwrap(),
        Creation::Taken
    );
    assert!(!role_exists(&orphan).await, "nothing left behind");
    pg.remove(&name, OWNER).await.unwrap();
    // What Latch did not make is never dropped: the orphan stays through a remove, and a
    // database Latch made stays through a remove for another resource.
    pg.remove(&orphan, OWNER).await.unwrap();
    assert!(
        pg.exists(&orphan).await.unwrap(),
        "a foreign database stays"
    );
    let other = fresh_name();
    pg.create(&other, &password, OWNER).await.unwrap();
    pg.remove(&other, "01JSOMEOTHERRESOURCE00000")
        .await
        .unwrap();
    assert!(pg.exists(&other).await.unwrap(), "another resource's stays");
    pg.remove(&other, OWNER).await.unwrap();
    assert!(!pg.exists(&other).await.unwrap() && !role_exists(&other).await);
    admin
        .batch_execute(&format!("DROP DATABASE {}", orphan.quoted()))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("DROP ROLE {}", stray.quoted()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_drop_ends_live_connections_and_leaves_no_role() {
    let pg = provider();
    let name = fresh_name();
    let password = generate_password();
    pg.create(&name, &password, OWNER).await.unwrap();
    let live = connect(&postgres().url_as(name.as_str(), &password, name.as_str()))
        .await
        .unwrap();
    live.batch_execute("SELECT 1").await.unwrap();
    pg.remove(&name, OWNER).await.unwrap();
    assert!(
        live.batch_execute("SELECT 1").await.is_err(),
        "the connection was ended"
    );
    assert!(!pg.exists(&name).await.unwrap());
    assert!(!role_exists(&name).await);
    pg.remove(&name, OWNER)
        .await
        .expect("dropping what is gone is fine");
    pg.ping().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_an_outage_within_the_deadline() {
    // A port nobody listens on.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let url = format!("postgres://latch_admin:x@127.0.0.1:{port}/postgres");
    let pg = PostgresDatabases::new(&url, Duration::from_millis(500)).unwrap();
    let err = pg.ping().await.unwrap_err();
    assert!(matches!(err, latch_core::Error::Unavailable(_)), "{err:?}");
    assert!(
        !format!("{err:?}").contains("latch_admin:x"),
        "the URL's secret is not echoed"
    );
}

#[tokio::test]
async fn health_reports_the_database_server_when_one_is_configured() {
    let url = postgres().admin_url();
    let app = crate::support::spawn_app_with(&[("LATCH_PG_ADMIN_URL", url.as_str())], None).await;
    let res = app.get("/v1/health").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["checks"]["databases"]["ok"], true);
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let dead = format!("postgres://latch_admin:x@127.0.0.1:{port}/postgres");
    let app = crate::support::spawn_app_with(&[("LATCH_PG_ADMIN_URL", dead.as_str())], None).await;
    let res = app.get("/v1/health").await;
    assert_eq!(res.status, 503, "{}", res.body);
    assert_eq!(res.body["checks"]["databases"]["ok"], false);
    assert_eq!(res.body["checks"]["store"]["ok"], true);
    let unset = crate::support::spawn_app().await;
    let res = unset.get("/v1/health").await;
    assert!(
        res.body["checks"].get("databases").is_none(),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn a_role_made_before_marks_is_adopted_only_when_it_owns_its_database() {
    let pg = provider();
    let admin = connect(&postgres().admin_url()).await.unwrap();
    // Made as Latch made databases before roles were marked.
    let legacy = fresh_name();
    let id = legacy.quoted();
    admin
        .batch_execute(&format!("CREATE ROLE {id} LOGIN"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {id} OWNER {id}"))
        .await
        .unwrap();
    pg.remove(&legacy, OWNER).await.unwrap();
    assert!(pg.exists(&legacy).await.unwrap(), "unmarked: never dropped");
    pg.adopt(&legacy, OWNER).await.unwrap();
    pg.remove(&legacy, OWNER).await.unwrap();
    assert!(!pg.exists(&legacy).await.unwrap() && !role_exists(&legacy).await);
    // A role that owns no database of its name, and one marked for another resource, keep
    // what they have.
    let lone = fresh_name();
    admin
        .batch_execute(&format!("CREATE ROLE {}", lone.quoted()))
        .await
        .unwrap();
    pg.adopt(&lone, OWNER).await.unwrap();
    pg.remove(&lone, OWNER).await.unwrap();
    assert!(role_exists(&lone).await);
    let marked = fresh_name();
    let password = generate_password();
    pg.create(&marked, &password, "01JSOMEOTHERRESOURCE00000")
        .await
        .unwrap();
    pg.adopt(&marked, OWNER).await.unwrap();
    pg.remove(&marked, OWNER).await.unwrap();
    assert!(
        pg.exists(&marked).await.unwrap(),
        "another resource's mark stands"
    );
    // A tenant cannot forge or strip a mark, its own included.
    let tenant = connect(&postgres().url_as(marked.as_str(), &password, marked.as_str()))
        .await
        .unwrap();
    let forged = tenant
        .batch_execute(&format!(
            "COMMENT ON ROLE {} IS 'latch:{OWNER}'",
            marked.quoted()
        ))
        .await
        .unwrap_err();
    assert_eq!(
        forged.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    drop(tenant);
    pg.remove(&marked, "01JSOMEOTHERRESOURCE00000")
        .await
        .unwrap();
    assert!(!pg.exists(&marked).await.unwrap());
    admin
        .batch_execute(&format!("DROP ROLE {}", lone.quoted()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_role_another_tenant_granted_something_is_kept_without_login() {
    let pg = provider();
    let (x, y) = (fresh_name(), fresh_name());
    let (x_pw, y_pw) = (generate_password(), generate_password());
    pg.create(&x, &x_pw, OWNER).await.unwrap();
    pg.create(&y, &y_pw, OWNER).await.unwrap();
    let tenant_y = connect(&postgres().url_as(y.as_str(), &y_pw, y.as_str()))
        .await
        .unwrap();
    tenant_y
        .batch_execute(&format!(
            "CREATE TABLE t (v int); GRANT SELECT ON t TO {}",
            x.quoted()
        ))
        .await
        .unwrap();
    pg.remove(&x, OWNER)
        .await
        .expect("a remove another tenant's grant blocks still ends");
    assert!(!pg.exists(&x).await.unwrap(), "the database is gone");
    assert!(
        connect(&postgres().url_as(x.as_str(), &x_pw, y.as_str()))
            .await
            .is_err(),
        "the kept role cannot sign in"
    );
    drop(tenant_y);
    pg.remove(&y, OWNER).await.unwrap();
    let admin = connect(&postgres().admin_url()).await.unwrap();
    admin
        .batch_execute(&format!("DROP ROLE {}", x.quoted()))
        .await
        .unwrap();
}

#[tokio::test]
async fn every_database_but_its_own_is_closed_to_a_tenant() {
    let admin = connect(&postgres().admin_url()).await.unwrap();
    // The operator's own database, open to PUBLIC as every new database is.
    let operators = fresh_name();
    admin
        .batch_execute(&format!("CREATE DATABASE {}", operators.quoted()))
        .await
        .unwrap();
    let pg = provider();
    let name = fresh_name();
    let password = generate_password();
    pg.create(&name, &password, OWNER).await.unwrap();
    for db in [operators.as_str(), "postgres", "template1"] {
        assert!(
            connect(&postgres().url_as(name.as_str(), &password, db))
                .await
                .is_err(),
            "a tenant reached {db}"
        );
    }
    assert!(
        connect(&postgres().url_as(name.as_str(), &password, name.as_str()))
            .await
            .is_ok()
    );
    pg.remove(&name, OWNER).await.unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {}", operators.quoted()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tenant_cannot_lift_the_bound_on_its_transactions_and_statements() {
    let pg = provider();
    let name = fresh_name();
    let password = generate_password();
    pg.create(&name, &password, OWNER).await.unwrap();
    let url = postgres().url_as(name.as_str(), &password, name.as_str());
    // Lifts the idle-in-transaction timeout for its session and its role, then sits in a
    // transaction; a second session sleeps in one statement.
    let idle = connect(&url).await.unwrap();
    idle.batch_execute(
        "SET idle_in_transaction_session_timeout = 0; \
         ALTER ROLE CURRENT_USER SET idle_in_transaction_session_timeout = 0; \
         BEGIN; SELECT 1",
    )
    .await
    .unwrap();
    let sleeper = connect(&url).await.unwrap();
    let sleeping = tokio::spawn(async move { sleeper.batch_execute("SELECT pg_sleep(600)").await });
    // The operator's own long transaction is none of the watchdog's business.
    let admin = connect(&postgres().admin_url()).await.unwrap();
    admin.batch_execute("BEGIN; SELECT 1").await.unwrap();
    // Past a bound of one second (the job's is TENANT_TRANSACTION_BOUND).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ended = pg.end_overlong(Duration::from_secs(1)).await.unwrap();
    assert!(ended >= 2, "ended {ended}");
    assert!(
        idle.batch_execute("SELECT 1").await.is_err(),
        "the idle transaction was ended"
    );
    let slept = tokio::time::timeout(Duration::from_secs(10), sleeping)
        .await
        .expect("the sleeping statement was ended")
        .unwrap();
    assert!(slept.is_err());
    admin
        .batch_execute("COMMIT")
        .await
        .expect("the operator's session stands");
    pg.remove(&name, OWNER).await.unwrap();
}

#[tokio::test]
async fn an_admin_role_that_cannot_close_a_database_or_see_sessions_says_so() {
    let admin = connect(&postgres().admin_url()).await.unwrap();
    let weak = fresh_name();
    let weak_pw = generate_password();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD '{weak_pw}'",
            weak.quoted()
        ))
        .await
        .unwrap();
    // The operator's database, owned by the superuser and open to PUBLIC: the weak admin's
    // REVOKE only warns, so nothing would be closed.
    let operators = fresh_name();
    admin
        .batch_execute(&format!("CREATE DATABASE {}", operators.quoted()))
        .await
        .unwrap();
    let url = postgres().url_as(weak.as_str(), &weak_pw, "postgres");
    admin
        .batch_execute(&format!(
            "GRANT CONNECT ON DATABASE postgres TO {}",
            weak.quoted()
        ))
        .await
        .unwrap();
    let pg = PostgresDatabases::new(&url, Duration::from_secs(5)).unwrap();
    let tenant = fresh_name();
    let refused = pg
        .create(&tenant, &generate_password(), OWNER)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains(operators.as_str()), "{refused}");
    assert!(!role_exists(&tenant).await, "nothing made");
    let blind = pg.end_overlong(Duration::from_secs(1)).await.unwrap_err();
    assert!(blind.to_string().contains("pg_signal_backend"), "{blind}");
    admin
        .batch_execute(&format!("DROP DATABASE {}; ", operators.quoted()))
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "REVOKE CONNECT ON DATABASE postgres FROM {0}; DROP ROLE {0}",
            weak.quoted()
        ))
        .await
        .unwrap();
}
