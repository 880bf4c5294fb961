//! The PostgreSQL backend under faults, with real `scorewatch serve` processes on one
//! test database (on the server `SCOREWATCH_TEST_DATABASE_URL` names):
//!
//! - the database goes away under load and comes back: a small TCP proxy between the
//!   server and PostgreSQL closes every connection and refuses new ones (the shared
//!   PostgreSQL cluster is never restarted, other tests use it). During the outage writes
//!   answer 503 `storage_unavailable` with `Retry-After` and `/health` says `degraded`;
//!   afterwards the server takes writes again by itself, and every acknowledged
//!   prediction is in the database exactly once;
//! - the same with the PostgreSQL cluster itself stopped (`pg_ctlcluster ... stop -m
//!   fast`, every session ended) and started again, when this process may (root, a Debian
//!   cluster); it runs in this suite only, one test at a time after every other suite;
//! - two replicas under load, one killed with SIGKILL: no acknowledged prediction is lost or
//!   duplicated, checked through the surviving replica.

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scorewatch_core::{
    PredictionLog as _, PredictionQuery, Scenario, StoreOptions, write_sample_csv,
};
use scorewatch_postgres::testing::{create_database, drop_database};
use scorewatch_postgres::{DatabaseUrl, PgStore};
use serde_json::Value;

use crate::support::{
    Load, LogContent, Server, TRAINING_ROWS, api_newest_ids, assert_exactly_once, client, drive,
    feature_texts, post, prediction_ids, seed,
};

const SERVER_ENV: &str = "SCOREWATCH_TEST_DATABASE_URL";
/// Client threads per server.
const CLIENTS: usize = 4;
/// Load before the outage, the outage, and load after it.
const BEFORE: Duration = Duration::from_secs(2);
const OUTAGE: Duration = Duration::from_secs(4);
const AFTER: Duration = Duration::from_secs(3);
/// How long the server may take to take writes again once the database is back: the pool
/// pings, drops the dead connections and opens new ones (a hang detector, not a figure).
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

/// A database created for one test, dropped at the end; `url` has the password.
struct TestDb {
    server: DatabaseUrl,
    name: String,
    parsed: DatabaseUrl,
    /// `postgres://user:password@host:port/` of the server, for URLs through the proxy.
    user_password: String,
}

impl TestDb {
    fn new() -> Self {
        let raw = std::env::var(SERVER_ENV).unwrap_or_default();
        // These tests run only when asked (`--ignored`): without a server they fail.
        assert!(
            !raw.is_empty(),
            "{SERVER_ENV} must name a PostgreSQL server"
        );
        let server = DatabaseUrl::parse(&raw).expect("server URL");
        let name = format!("scorewatch_faults_{}_{}", std::process::id(), seed());
        drop_database(&server, &name).expect("drop a leftover database");
        create_database(&server, &name).expect("create the test database");
        let parsed = server.with_database(&name);
        let rest = raw.split_once("://").expect("scheme").1;
        let userinfo = rest.rsplit_once('@').expect("user and password").0;
        Self {
            server,
            name,
            parsed,
            user_password: userinfo.to_owned(),
        }
    }

    /// The URL of this database at `host:port` (the server's, or the proxy's).
    fn url_at(&self, host: &str, port: u16) -> String {
        format!(
            "postgres://{}@{host}:{port}/{}",
            self.user_password, self.name
        )
    }

    fn direct_url(&self) -> String {
        self.url_at(&self.parsed.host(), self.parsed.port())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = drop_database(&self.server, &self.name);
    }
}

/// A TCP proxy on a loopback port to `upstream`, which can cut every connection and
/// refuse new ones (what a database restart or a network partition does to the server).
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (accept_down, accept_open) = (Arc::clone(&down), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if accept_down.load(Ordering::SeqCst) {
                    // Refused: closed before a byte is read.
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let mut open = accept_open.lock().expect("open connections");
                open.push(client.try_clone().expect("clone"));
                open.push(server.try_clone().expect("clone"));
                drop(open);
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Self { port, down, open }
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for stream in self.open.lock().expect("open connections").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again.
    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` on a thread until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0_u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// Trains and publishes a first model into the database with `scorewatch train`.
fn train_into(db: &TestDb, root: &Path) {
    let csv = root.join("applications.csv");
    write_sample_csv(
        std::fs::File::create(&csv).expect("csv"),
        TRAINING_ROWS,
        7,
        Scenario::Baseline,
    )
    .expect("sample");
    let output = Command::new(env!("CARGO_BIN_EXE_scorewatch"))
        .arg("--data-dir")
        .arg(root.join("train-data"))
        .args(["--database-url", &db.direct_url(), "train", "--data"])
        .arg(&csv)
        .env_remove("DATABASE_URL")
        .output()
        .expect("scorewatch train runs");
    assert!(
        output.status.success(),
        "scorewatch train: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every prediction id in the database, with how often it occurs, read directly.
fn ids_in_database(db: &TestDb) -> LogContent {
    let store = PgStore::open(&db.parsed, &StoreOptions::default()).expect("store opens");
    let records = store
        .predictions()
        .recent(&PredictionQuery::newest(10_000_000))
        .expect("predictions read");
    let mut content = LogContent::default();
    for record in records {
        *content.ids.entry(record.prediction_id).or_insert(0) += 1;
        content.rows += 1;
    }
    content
}

/// What one client saw: acknowledged ids, and every answer that was not a 200.
#[derive(Debug, Default)]
struct Seen {
    acked: Vec<String>,
    /// (status, error code, Retry-After) of each refusal.
    refusals: Vec<(u16, String, Option<String>)>,
    no_response: usize,
}

/// Single predictions until `stop`, recording each answer.
fn predict_until(base: &str, features: &[String], stop: &AtomicBool, offset: usize) -> Seen {
    let client = client();
    let url = format!("{base}/predict");
    let mut seen = Seen::default();
    let mut i = offset;
    while !stop.load(Ordering::Relaxed) {
        i = (i + 1) % features.len();
        let Ok(response) = post(&client, &url, format!("{{\"features\":{}}}", features[i])) else {
            seen.no_response += 1;
            continue;
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Ok(body) = response.json::<Value>() else {
            seen.no_response += 1;
            continue;
        };
        if status == 200 {
            seen.acked.extend(prediction_ids(&body));
        } else {
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            seen.refusals.push((status, code, retry_after));
        }
    }
    seen
}

fn health(base: &str) -> Value {
    client()
        .get(format!("{base}/health"))
        .send()
        .expect("GET /health")
        .json()
        .expect("health parses")
}

#[test]
#[ignore = "real server processes and PostgreSQL; run with scripts/reliability.sh"]
fn the_database_goes_away_under_load_and_comes_back() {
    let db = TestDb::new();
    let root = tempfile::tempdir().expect("temp dir");
    train_into(&db, root.path());
    let proxy = Proxy::start(format!("{}:{}", db.parsed.host(), db.parsed.port()));
    let through_proxy = db.url_at("127.0.0.1", proxy.port);
    load_through_an_outage(
        &db,
        root.path(),
        &through_proxy,
        "database outage (proxy cut)",
        &|| proxy.cut(),
        &|| proxy.restore(),
    );
}

/// The PostgreSQL cluster's major version, when this machine runs it as Debian does
/// (`pg_ctlcluster VERSION main`) and this process may restart it (root).
fn restartable_cluster() -> Result<String, String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err("restarting PostgreSQL needs root".to_owned());
    }
    let versions = std::fs::read_dir("/etc/postgresql")
        .map_err(|err| format!("no Debian PostgreSQL cluster (/etc/postgresql: {err})"))?;
    let mut versions: Vec<u32> = versions
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    versions
        .last()
        .map(ToString::to_string)
        .ok_or_else(|| "no cluster under /etc/postgresql".to_owned())
}

fn pg_ctlcluster(version: &str, action: &str) {
    let status = Command::new("pg_ctlcluster")
        .args([version, "main", action])
        // `stop` in fast mode: sessions are ended at once (57P01), as a restart does.
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[][..]
        })
        .status()
        .expect("pg_ctlcluster runs");
    assert!(
        status.success(),
        "pg_ctlcluster {version} main {action}: {status}"
    );
}

/// The real thing: the PostgreSQL cluster itself is stopped under load and started again
/// (every session ended with `admin_shutdown`, new connections refused while it is down).
/// It stops every database of the cluster, so it runs only in this suite, which runs one
/// test at a time after every other suite (scripts/reliability.sh).
#[test]
#[ignore = "real server processes and PostgreSQL; run with scripts/reliability.sh"]
fn the_database_is_restarted_under_load() {
    const TEST: &str = "the_database_is_restarted_under_load";
    let version = match restartable_cluster() {
        Ok(version) => version,
        Err(reason) => return crate::skip::skip_or_fail(TEST, &reason),
    };
    let db = TestDb::new();
    let root = tempfile::tempdir().expect("temp dir");
    train_into(&db, root.path());
    load_through_an_outage(
        &db,
        root.path(),
        &db.direct_url(),
        "database restart",
        &|| pg_ctlcluster(&version, "stop"),
        &|| pg_ctlcluster(&version, "start"),
    );
}

/// Drives `/predict` on a server of `database_url` while `cut` takes the database away
/// for [`OUTAGE`] and `restore` brings it back, then checks what a client relies on.
fn load_through_an_outage(
    db: &TestDb,
    root: &Path,
    database_url: &str,
    label: &str,
    cut: &(dyn Fn() + Sync),
    restore: &(dyn Fn() + Sync),
) {
    let server = Server::start(
        &root.join("data"),
        &[
            "--database-url",
            database_url,
            "--drift-every",
            "0",
            "--metrics-every",
            "0",
        ],
    );
    let features = feature_texts(500, 11);
    let stop = AtomicBool::new(false);
    let (seen, during_outage) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (base, features, stop) = (&server.base, &features, &stop);
                scope.spawn(move || predict_until(base, features, stop, c * 100))
            })
            .collect();
        std::thread::sleep(BEFORE);
        cut();
        std::thread::sleep(OUTAGE / 2);
        let during_outage = health(&server.base);
        std::thread::sleep(OUTAGE / 2);
        restore();
        std::thread::sleep(AFTER);
        stop.store(true, Ordering::Relaxed);
        let seen: Vec<Seen> = clients
            .into_iter()
            .map(|c| c.join().expect("client thread"))
            .collect();
        (seen, during_outage)
    });

    // During the outage: 503 storage_unavailable with a short Retry-After, nothing else.
    let refusals: Vec<_> = seen.iter().flat_map(|s| s.refusals.iter()).collect();
    assert!(
        !refusals.is_empty(),
        "no write was refused during the outage"
    );
    for (status, code, retry_after) in &refusals {
        assert_eq!(*status, 503, "{refusals:?}");
        assert_eq!(code, "storage_unavailable", "{refusals:?}");
        assert_eq!(retry_after.as_deref(), Some("1"), "{refusals:?}");
    }
    assert_eq!(seen.iter().map(|s| s.no_response).sum::<usize>(), 0);
    assert_eq!(during_outage["status"], "degraded", "{during_outage}");
    let message = during_outage["storage"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("unavailable"), "{message}");
    assert!(!message.contains(&db.user_password), "{message}");

    // After it: the server takes writes again by itself.
    let client = client();
    let started = Instant::now();
    let mut recovered = Vec::new();
    while recovered.len() < 20 {
        let response = post(
            &client,
            &server.url("/predict"),
            format!("{{\"features\":{}}}", features[0]),
        )
        .expect("POST /predict");
        if response.status() == 200 {
            recovered.extend(prediction_ids(&response.json().expect("answer")));
        } else {
            assert!(
                recovered.is_empty(),
                "a write failed after the recovery: {}",
                response.status()
            );
            assert!(
                started.elapsed() < RECOVERY_LIMIT,
                "no recovery: {:?}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert_eq!(health(&server.base)["status"], "ok");

    // Every acknowledged prediction is in the database exactly once.
    let mut acked: HashSet<String> = seen.iter().flat_map(|s| s.acked.iter().cloned()).collect();
    let acked_during_load = acked.len();
    acked.extend(recovered);
    let stored = ids_in_database(db);
    assert_exactly_once(&acked, &stored, "predictions");
    println!(
        "{label}: {acked_during_load} acknowledged under load, {} refused with 503, \
         {} rows stored",
        refusals.len(),
        stored.rows
    );
}

#[test]
#[ignore = "real server processes and PostgreSQL; run with scripts/reliability.sh"]
fn a_replica_killed_under_load_loses_and_duplicates_nothing() {
    let db = TestDb::new();
    let root = tempfile::tempdir().expect("temp dir");
    train_into(&db, root.path());
    let url = db.direct_url();
    let args = [
        "--database-url",
        url.as_str(),
        "--drift-every",
        "0",
        "--metrics-every",
        "0",
    ];
    let mut doomed = Server::start(&root.path().join("data-a"), &args);
    let survivor = Server::start(&root.path().join("data-b"), &args);
    let features = feature_texts(500, 13);
    let stop_doomed = AtomicBool::new(false);
    let stop_survivor = AtomicBool::new(false);
    let run_seed = seed();
    println!("seed {run_seed}");
    let (doomed_acks, survivor_acks) = std::thread::scope(|scope| {
        let mut on_doomed = Vec::new();
        let mut on_survivor = Vec::new();
        for c in 0..2 * CLIENTS {
            let (base, stop, handles) = if c < CLIENTS {
                (doomed.base.clone(), &stop_doomed, &mut on_doomed)
            } else {
                (survivor.base.clone(), &stop_survivor, &mut on_survivor)
            };
            let features = &features;
            handles.push(scope.spawn(move || {
                drive(
                    &Load {
                        server: &base,
                        features,
                        batch_one_in: 4,
                        outcome_every: 0,
                        stop,
                    },
                    run_seed + c as u64,
                )
            }));
        }
        std::thread::sleep(BEFORE);
        doomed.kill();
        stop_doomed.store(true, Ordering::Relaxed);
        std::thread::sleep(AFTER);
        stop_survivor.store(true, Ordering::Relaxed);
        let join =
            |handles: Vec<std::thread::ScopedJoinHandle<'_, crate::support::Acknowledged>>| {
                handles
                    .into_iter()
                    .map(|h| h.join().expect("client thread"))
                    .collect::<Vec<_>>()
            };
        (join(on_doomed), join(on_survivor))
    });
    // The survivor answered every request with 200.
    for acks in &survivor_acks {
        assert!(acks.failure.is_none(), "{:?}", acks.failure);
        assert_eq!(acks.statuses.server_errors(), 0, "{:?}", acks.statuses);
    }
    let acked: HashSet<String> = doomed_acks
        .iter()
        .chain(survivor_acks.iter())
        .flat_map(|a| a.predictions.iter().cloned())
        .collect();
    let from_doomed: usize = doomed_acks.iter().map(|a| a.predictions.len()).sum();
    assert!(from_doomed > 0, "the killed replica acknowledged nothing");
    // Checked through the surviving replica: its pages read the shared database.
    let ids = api_newest_ids(&client(), &survivor, usize::MAX / 2);
    let rows = ids.values().map(|n| *n as usize).sum();
    let through_survivor = LogContent { ids, rows };
    assert_exactly_once(&acked, &through_survivor, "predictions");
    println!(
        "replica killed: {from_doomed} acknowledged by the killed replica, {} in all, {rows} rows",
        acked.len()
    );
}
