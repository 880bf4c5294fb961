//! End to end at the client level: the dashboard's requests against a real
//! `scorewatch serve` in a temporary data directory (no window needed).
//!
//! The `scorewatch` binary comes from `SCOREWATCH_BIN` when set, else from the target
//! directory (`cargo test --workspace` builds it fresh for the API's own tests), else it is
//! built with `cargo build -p scorewatch-api`. The test is skipped, with a message saying
//! why, only when that binary cannot be built or has no `serve` command.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scorewatch_core::PipelineState;
use scorewatch_core::views::RunPipelineRequest;
use scorewatch_dashboard::{
    ApiError, ApiKey, Payload, PredictionsQuery, Request, build_http, execute,
};

/// Longest wait for the server to answer `/health` and for a pipeline run to finish; the
/// loops are bounded by it, never by a condition alone.
const STARTUP_LIMIT: Duration = Duration::from_mins(1);

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scorewatch_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SCOREWATCH_BIN").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    // The test binary lives in target/<profile>/deps; the server binary one level up.
    let exe = std::env::current_exe().map_err(|err| err.to_string())?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let path = dir.join(format!("scorewatch{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        return Ok(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "scorewatch-api", "--bin", "scorewatch"])
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!("`cargo build -p scorewatch-api` failed ({status})"));
    }
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} was not produced", path.display()))
    }
}

fn run(bin: &Path, data: &Path, args: &[&str]) {
    let output = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run scorewatch");
    assert!(
        output.status.success(),
        "scorewatch {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `scorewatch` binary, or `None` after saying why the test is skipped.
fn binary_with_serve() -> Option<PathBuf> {
    let bin = match scorewatch_binary() {
        Ok(bin) => bin,
        Err(why) => {
            eprintln!("SKIPPED dashboard_requests_against_a_real_server: {why}");
            return None;
        }
    };
    let has_serve = Command::new(&bin)
        .args(["help", "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_serve {
        Some(bin)
    } else {
        eprintln!(
            "SKIPPED dashboard_requests_against_a_real_server: {} has no `serve` command yet \
             (a build older than the REST API)",
            bin.display()
        );
        None
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

#[test]
fn dashboard_requests_against_a_real_server() {
    let Some(bin) = binary_with_serve() else {
        return;
    };
    // Arrange: a data directory with a trained model, and the server on it.
    let (_temp, _server, base, key) = start_server(&bin);
    let http = build_http().expect("http client");
    let Ok(Payload::Health(health)) = execute(&http, &base, None, &Request::Health) else {
        panic!("health");
    };
    assert!(health.model_version.is_some());

    // Act and assert: every read the dashboard makes decodes into the shared types.
    let Ok(Payload::Metrics(metrics)) = execute(
        &http,
        &base,
        None,
        &Request::Metrics {
            limit: 50,
            offset: 0,
        },
    ) else {
        panic!("metrics");
    };
    assert_eq!(
        metrics.model.as_ref().map(|m| &m.version),
        health.model_version.as_ref()
    );
    assert!(metrics.training.is_some());
    let Ok(Payload::Predictions(page)) = execute(
        &http,
        &base,
        None,
        &Request::Predictions(PredictionsQuery {
            limit: 100,
            ..PredictionsQuery::default()
        }),
    ) else {
        panic!("predictions");
    };
    assert!(page.predictions.is_empty() && !page.has_more);
    assert!(matches!(
        execute(
            &http,
            &base,
            None,
            &Request::Drift {
                history: 5,
                id: None
            }
        ),
        Ok(Payload::Drift(_))
    ));

    // Mutations need the key: a wrong one is refused with 401 or 403.
    let wrong = ApiKey::new("not-the-key").expect("key");
    let refused = execute(
        &http,
        &base,
        Some(&wrong),
        &Request::RunPipeline(RunPipelineRequest::default()),
    )
    .expect_err("wrong key refused");
    assert!(
        matches!(
            refused,
            ApiError::Status {
                status: 401 | 403,
                ..
            }
        ),
        "{refused:?}"
    );

    let accepted = execute(
        &http,
        &base,
        Some(&key),
        &Request::RunPipeline(RunPipelineRequest::default()),
    );
    assert!(
        matches!(accepted, Ok(Payload::RunAccepted(_))),
        "{accepted:?}"
    );
    let started = Instant::now();
    let status = loop {
        let Ok(Payload::PipelineStatus(status)) =
            execute(&http, &base, None, &Request::PipelineStatus)
        else {
            panic!("pipeline status");
        };
        if !matches!(status.state, PipelineState::Running { .. }) {
            break status;
        }
        assert!(
            started.elapsed() < STARTUP_LIMIT,
            "pipeline run did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.runs.len() >= 2, "{status:?}");

    // An unreachable port gives the error the dashboard shows as "unreachable".
    let closed = format!("http://127.0.0.1:{}", free_port());
    assert!(matches!(
        execute(&http, &closed, None, &Request::Health),
        Err(ApiError::Unreachable { .. })
    ));
}

/// A trained model in a fresh data directory, served on a free port: returns the directory
/// (removed on drop), the server (killed on drop), its base URL and its API key.
fn start_server(bin: &Path) -> (tempfile::TempDir, Server, String, ApiKey) {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().join("data");
    let data_arg = data.to_str().expect("utf-8 temp path");
    run(bin, &data, &["init"]);
    let training = data.join("training").join("applications.csv");
    run(
        bin,
        &data,
        &[
            "generate",
            "--rows",
            "3000",
            "--out",
            training.to_str().expect("utf-8"),
        ],
    );
    run(bin, &data, &["train"]);
    let port = free_port();
    let child = Command::new(bin)
        .args(["--data-dir", data_arg, "serve", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start scorewatch serve");
    let server = Server { child };
    let base = format!("http://127.0.0.1:{port}");
    let http = build_http().expect("http client");
    let started = Instant::now();
    loop {
        match execute(&http, &base, None, &Request::Health) {
            Ok(Payload::Health(_)) => break,
            Ok(other) => panic!("unexpected answer to /health: {other:?}"),
            Err(_) if started.elapsed() < STARTUP_LIMIT => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(err) => panic!("server did not come up: {}", err.chain()),
        }
    }
    let key = ApiKey::new(
        &std::fs::read_to_string(data.join("secrets").join("api_key")).expect("key file"),
    )
    .expect("non-empty key");
    (temp, server, base, key)
}
