//! `scorewatch demo` end to end: the real binary on a temp data dir, with traffic and an
//! `income_shift` drift scenario, stopped with SIGTERM once the assertions are done.
//!
//! Timing is never asserted: the test waits (with generous timeouts) for counts to be
//! reached, and the drift assertions look at a window of predictions that lies entirely
//! after the switch, so they do not depend on how fast the machine is.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Predictions a drift report compares (`--drift-window`). With 1,000 rows against the
/// 16,000 reference rows the PSI of an unshifted feature with 10 bins stays near
/// 9 * (1/1000 + 1/16000) ~ 0.01, far below the 0.1 alarm; the income shift gives PSI
/// well above 0.25 on the shifted features.
const WINDOW: u64 = 1000;
/// Extra predictions after the switch before the drift report is asked for.
const MARGIN: u64 = 50;
/// Longest wait for any one condition (the machine may be shared and slow).
const PATIENCE: Duration = Duration::from_secs(90);
/// Features the `income_shift` scenario changes (crates/core/src/sample/mod.rs).
const SHIFTED: [&str; 2] = ["monthly_income", "debt_to_income"];

/// Kills the demo if the test fails before it stops it.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn get_json(client: &reqwest::blocking::Client, url: &str) -> Option<Value> {
    let response = client.get(url).send().ok()?;
    response
        .status()
        .is_success()
        .then(|| response.json().ok())?
}

/// The next stdout line that satisfies `pred`; the lines skipped go to `seen`.
fn next_line(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    pred: &dyn Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if pred(&line) => return line,
            Ok(line) => seen.push(line),
            Err(err) => panic!("no line with {what} ({err}); saw {seen:#?}"),
        }
    }
}

fn data_rows(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| text.lines().count().saturating_sub(1))
}

/// The income shift's features are flagged, and only they.
fn assert_only_shifted_features_drift(report: &Value) {
    let features = report["features"].as_array().expect("features");
    assert_eq!(features.len(), 12, "{report}");
    for feature in features {
        let name = feature["name"].as_str().expect("name");
        let drifted = feature["drifted"].as_bool().expect("drifted");
        let expected = SHIFTED.contains(&name);
        assert_eq!(
            drifted, expected,
            "{name}: drifted {drifted}, psi {}, reason {}",
            feature["psi"], feature["reason"]
        );
    }
    assert_eq!(
        report["dataset_drift"].as_bool(),
        Some(false),
        "2 of 12 features"
    );
}

/// Starts the demo on `data` with fast traffic; its stdout lines arrive on the receiver.
fn spawn_demo(data: &Path) -> (Demo, mpsc::Receiver<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_scorewatch"))
        .args(["--data-dir"])
        .arg(data)
        .args([
            "demo",
            "--port",
            "0",
            "--traffic",
            "--rate",
            "200",
            "--drift-after",
            "3s",
            "--scenario",
            "income_shift",
            "--outcome-delay",
            "500ms",
            "--drift-window",
            &WINDOW.to_string(),
            "--drift-every",
            "500",
            "--metrics-every",
            "100",
            "--training-rows",
            "20000",
            // A bound in case the test dies before its SIGTERM.
            "--duration",
            "180s",
        ])
        .env_remove("SCOREWATCH_API_KEYS")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("demo starts");
    let mut demo = Demo(child);

    // The banner and traffic lines arrive on stdout; a thread forwards them.
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = demo.0.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("demo| {line}");
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    (demo, lines)
}

#[test]
fn demo_with_traffic_serves_logs_and_flags_the_shifted_features() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (mut demo, lines) = spawn_demo(&data);
    let mut seen = Vec::new();
    let banner = next_line(&lines, &mut seen, "the URL", &|l| {
        l.contains("running at http://")
    });
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("url")
        .to_owned();
    let key_line = next_line(&lines, &mut seen, "the key file", &|l| {
        l.contains("API key:")
    });
    assert!(key_line.contains("secrets/api_key"), "{key_line}");
    let key = std::fs::read_to_string(data.join("secrets/api_key")).expect("key file");
    assert!(
        !key_line.contains(key.trim()),
        "the key itself is never printed"
    );
    assert!(
        seen.iter().any(|l| l.starts_with("initialised")),
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("trained and published model")),
        "{seen:#?}"
    );
    assert!(data.join("training/applications.csv").is_file());

    let client = reqwest::blocking::Client::new();
    let health = get_json(&client, &format!("{url}/health")).expect("health answers");
    assert_eq!(health["status"], "ok");
    assert!(health["model_version"].is_string(), "{health}");

    // The prediction log grows.
    let log = data.join("monitoring/predictions_log.csv");
    let first = wait_for("predictions in the log", || {
        let n = data_rows(&log);
        (n > 0).then_some(n)
    });
    wait_for("the prediction log to grow", || {
        (data_rows(&log) > first).then_some(())
    });

    // The switch, then a full window of drifted predictions.
    let switched = next_line(&lines, &mut seen, "the drift switch", &|l| {
        l.contains("switched to scenario")
    });
    let after: u64 = switched
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("switch count");
    let target = after + WINDOW + MARGIN;
    let metrics_url = format!("{url}/monitoring/metrics");
    wait_for("a full window of drifted predictions", || {
        let metrics = get_json(&client, &metrics_url)?;
        (metrics["predictions_total"].as_u64()? >= target).then_some(())
    });

    // Outcomes arrive, and production metrics are computed from them.
    let outcomes = data.join("monitoring/outcomes_log.csv");
    assert!(data_rows(&outcomes) > 0, "no outcome logged");
    let production = wait_for("production metrics", || {
        let metrics = get_json(&client, &metrics_url)?;
        (metrics["outcomes_total"].as_u64()? > 0 && !metrics["production"].is_null())
            .then_some(metrics)
    });
    assert_eq!(
        production["production"]["source"], "production",
        "{production}"
    );

    // A drift report over the newest WINDOW predictions, all drawn after the switch.
    let response = client
        .post(format!("{url}/monitoring/drift/run"))
        .header("X-API-Key", key.trim())
        .send()
        .expect("drift run");
    assert_eq!(response.status().as_u16(), 201);
    let report: Value = response.json().expect("report json");
    assert_eq!(report["current"]["rows"].as_u64(), Some(WINDOW), "{report}");
    assert_only_shifted_features_drift(&report);

    // SIGTERM stops it cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &demo.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = wait_for("the demo to exit", || demo.0.try_wait().expect("wait"));
    assert!(exit.success(), "{exit:?}");
    next_line(&lines, &mut seen, "the stop line", &|l| {
        l.starts_with("demo stopped")
    });
    assert!(
        seen.iter()
            .any(|l| l.starts_with("traffic:") && l.contains("outcomes")),
        "{seen:#?}"
    );
}

/// Runs the demo on `data` without traffic until it stops by itself; its stdout lines.
fn demo_lines(data: &Path) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_scorewatch"))
        .args(["--data-dir"])
        .arg(data)
        .args([
            "demo",
            "--port",
            "0",
            "--no-traffic",
            "--training-rows",
            "2000",
            "--duration",
            "1s",
        ])
        .env_remove("SCOREWATCH_API_KEYS")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .expect("demo runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    assert!(output.status.success(), "{:?}\n{stdout}", output.status);
    stdout.lines().map(str::to_owned).collect()
}

/// A fresh clone already has `data/` (it tracks `data/README.md`): its first demo used to
/// say "reusing data (1 paths kept, 11 created)".
#[test]
fn issue_13_first_demo_on_a_clone_says_initialised_and_a_rerun_says_reusing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    std::fs::write(data.join("README.md"), "tracked by git\n").expect("readme");

    let first = demo_lines(&data);
    assert!(
        first[0].starts_with(&format!("initialised {} (", data.display())),
        "{first:#?}"
    );
    assert!(
        !first.iter().any(|l| l.starts_with("reusing")),
        "{first:#?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("generated 2000 training applications")),
        "{first:#?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l.contains("trained and published model")),
        "{first:#?}"
    );

    let second = demo_lines(&data);
    assert_eq!(
        second[0],
        format!(
            "reusing {} (every path of the layout was there)",
            data.display()
        ),
        "{second:#?}"
    );
    assert!(
        second.iter().any(|l| l.starts_with("reusing model ")),
        "{second:#?}"
    );
    assert!(
        !second.iter().any(|l| l.contains("trained and published")),
        "{second:#?}"
    );
}
