//! The real `scorewatch serve` as a child process, blocking clients, and the checks of
//! a data directory that every test shares.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use scorewatch_core::views::{OutcomeStatus, OutcomesResponse, PredictionsPage};
use scorewatch_core::{
    DataLayout, DriftReportsDocument, MetricSource, MetricsDocument, PipelineState, PipelineStatus,
    Scenario, write_sample_csv,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[path = "../common/applications.rs"]
mod applications;
pub use applications::applications;

/// The key the server is started with (through `SCOREWATCH_API_KEYS`).
pub const API_KEY: &str = "reliability-key-0123456789";
/// Rows of the training file the first model is fitted on.
pub const TRAINING_ROWS: usize = 2000;
/// How long a server may take to print its port and answer `/health`.
const START_TIMEOUT: Duration = Duration::from_mins(1);
/// Log lines kept to explain a server that failed to start or stop.
const KEPT_LINES: usize = 400;

/// A `scorewatch serve` child process on a loopback port.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    /// Starts the release (or debug) binary on `data` with `args` after `serve`, and
    /// waits until `/health` answers 200.
    pub fn start(data: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scorewatch"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .args(["--log-format", "json"])
            .args(args)
            .env("SCOREWATCH_API_KEYS", API_KEY)
            // Warnings and errors, plus the line that names the bound port.
            .env(
                "RUST_LOG",
                std::env::var("RELIABILITY_SERVER_LOG")
                    .unwrap_or_else(|_| "warn,scorewatch_api::startup=info".to_owned()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("scorewatch serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let (port_tx, port_rx) = mpsc::channel::<u16>();
        let kept = Arc::clone(&lines);
        // Drains stdout for the whole life of the process, so the server never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["fields"]["message"] == "listening"
                    && let Some(port) = event["fields"]["port"].as_u64()
                {
                    let _ = port_tx.send(u16::try_from(port).expect("a port fits u16"));
                }
                let mut kept = kept.lock().expect("log lines");
                if kept.len() == KEPT_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        let mut server = Self {
            child,
            base: String::new(),
            lines,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            if let Ok(port) = port_rx.recv_timeout(Duration::from_millis(50)) {
                break port;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "server exited with {status} before listening: {:?}",
                    server.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "server did not listen within {START_TIMEOUT:?}: {:?}",
                server.log()
            );
        };
        server.base = format!("http://127.0.0.1:{port}");
        let client = client();
        loop {
            let health = client.get(server.url("/health")).send();
            if health.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "/health did not answer within {START_TIMEOUT:?}: {:?}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The newest log lines of the server.
    pub fn log(&self) -> Vec<String> {
        self.lines
            .lock()
            .expect("log lines")
            .iter()
            .cloned()
            .collect()
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL"); // `Child::kill` is SIGKILL on Unix
        self.child.wait().expect("reap the killed server");
    }

    /// SIGTERM, then wait up to `limit` for the exit; returns the status and how long the
    /// process took. A process still alive after `limit` is killed and the test fails:
    /// this is the hang detector, not a performance assertion.
    pub fn terminate(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill -TERM");
        assert!(kill.success(), "kill -TERM failed: {kill}");
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return (status, sent.elapsed());
            }
            if sent.elapsed() > limit {
                let log = self.log();
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("server still running {limit:?} after SIGTERM: {log:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failing test must not leave a server holding the data directory's lock.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A blocking client with bounded waits: a server that stops answering fails the test
/// instead of hanging it.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_mins(1))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// A POST with the key and a JSON body given as text.
pub fn post(
    client: &Client,
    url: &str,
    body: String,
) -> reqwest::Result<reqwest::blocking::Response> {
    client
        .post(url)
        .header("X-API-Key", API_KEY)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
}

/// A seed from `RELIABILITY_SEED` when set (to replay a run), else from the clock; it is
/// printed by the caller.
pub fn seed() -> u64 {
    std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            u64::from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock after 1970")
                    .subsec_nanos(),
            )
        })
        | 1
}

/// xorshift64: small, seeded, good enough to pick delays and batch sizes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[low, high)`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// A data directory under `root` with a first model trained by `scorewatch train`.
pub fn prepare_data_dir(root: &Path) -> PathBuf {
    let data = root.join("data");
    write_training_file(&data, "applications.csv", TRAINING_ROWS, 7);
    let output = Command::new(env!("CARGO_BIN_EXE_scorewatch"))
        .arg("--data-dir")
        .arg(&data)
        .arg("train")
        .output()
        .expect("scorewatch train runs");
    assert!(
        output.status.success(),
        "scorewatch train: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    data
}

/// Writes `rows` generated applications to `data/training/<name>`.
pub fn write_training_file(data: &Path, name: &str, rows: usize, seed: u64) {
    let dir = DataLayout::new(data).training_dir();
    std::fs::create_dir_all(&dir).expect("training dir");
    let file = std::fs::File::create(dir.join(name)).expect("create training file");
    let mut writer = std::io::BufWriter::new(file);
    write_sample_csv(&mut writer, rows, seed, Scenario::Baseline).expect("sample written");
}

/// The prediction ids of a `POST /predict` answer (one or a batch).
pub fn prediction_ids(body: &Value) -> Vec<String> {
    match body.get("predictions") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| {
                p["prediction_id"]
                    .as_str()
                    .expect("prediction_id")
                    .to_owned()
            })
            .collect(),
        _ => vec![
            body["prediction_id"]
                .as_str()
                .expect("prediction_id")
                .to_owned(),
        ],
    }
}

/// Response counts by status code, plus requests that got no response.
#[derive(Debug, Default, Clone)]
pub struct Statuses {
    pub by_code: BTreeMap<u16, u64>,
    pub no_response: u64,
}

impl Statuses {
    pub fn record(&mut self, code: u16) {
        *self.by_code.entry(code).or_insert(0) += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for (code, n) in &other.by_code {
            *self.by_code.entry(*code).or_insert(0) += n;
        }
        self.no_response += other.no_response;
    }

    pub fn server_errors(&self) -> u64 {
        self.by_code
            .iter()
            .filter(|(code, _)| **code >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.by_code.values().sum::<u64>() + self.no_response
    }
}

/// What a CSV log holds: how often each id occurs, and the row count.
#[derive(Debug, Default)]
pub struct LogContent {
    pub ids: HashMap<String, u32>,
    pub rows: usize,
}

/// Reads `monitoring/predictions_log.csv` with the csv crate: every row whole (the
/// file ends with a newline, each row has the header's field count, the id is a UUID,
/// the timestamp RFC 3339, the score in [0, 1], the decision 0 or 1).
pub fn read_predictions_log(data: &Path) -> LogContent {
    let path = DataLayout::new(data).predictions_log();
    read_log(&path, |row, line| {
        uuid::Uuid::parse_str(&row[0]).unwrap_or_else(|e| {
            panic!(
                "{}:{line}: prediction_id {:?}: {e}",
                path.display(),
                &row[0]
            )
        });
        whole_timestamp(&path, line, &row[1]);
        let score: f64 = row[3]
            .parse()
            .unwrap_or_else(|e| panic!("{}:{line}: score {:?}: {e}", path.display(), &row[3]));
        assert!(
            (0.0..=1.0).contains(&score),
            "{}:{line}: score {score}",
            path.display()
        );
        assert!(
            matches!(&row[4], "0" | "1"),
            "{}:{line}: decision {:?}",
            path.display(),
            &row[4]
        );
        row[0].to_owned()
    })
}

/// Reads `monitoring/outcomes_log.csv`: every row whole, actual 0 or 1.
pub fn read_outcomes_log(data: &Path) -> LogContent {
    let path = DataLayout::new(data).outcomes_log();
    read_log(&path, |row, line| {
        whole_timestamp(&path, line, &row[1]);
        assert!(
            matches!(&row[2], "0" | "1"),
            "{}:{line}: actual {:?}",
            path.display(),
            &row[2]
        );
        row[0].to_owned()
    })
}

fn whole_timestamp(path: &Path, line: u64, cell: &str) {
    OffsetDateTime::parse(cell, &Rfc3339)
        .unwrap_or_else(|e| panic!("{}:{line}: timestamp {cell:?}: {e}", path.display()));
}

fn read_log(path: &Path, check: impl Fn(&csv::StringRecord, u64) -> String) -> LogContent {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.last() == Some(&b'\n'),
        "{}: the file does not end with a whole row",
        path.display()
    );
    // Not flexible: a row with fewer fields than the header is an error.
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let mut content = LogContent::default();
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{}: torn or bad row: {e}", path.display()));
        let line = record.position().map_or(0, csv::Position::line);
        let id = check(&record, line);
        *content.ids.entry(id).or_insert(0) += 1;
        content.rows += 1;
    }
    content
}

/// Asserts that every acknowledged id is in `log` exactly once and no id is there twice.
pub fn assert_exactly_once(acked: &HashSet<String>, log: &LogContent, what: &str) {
    let lost: Vec<_> = acked
        .iter()
        .filter(|id| !log.ids.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged {what} lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let duplicated: Vec<_> = log.ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "{} {what} logged more than once, e.g. {:?}",
        duplicated.len(),
        duplicated.first()
    );
}

/// Asserts that `log` holds exactly the acknowledged ids, each once: nothing acknowledged
/// is missing, nothing is there twice, and nothing is there whose answer no client read.
/// That last part holds for a graceful stop (a request in flight is answered, one that
/// comes after the stop began is refused before anything is logged), not for a SIGKILL.
pub fn assert_log_is_exactly(acked: &HashSet<String>, log: &LogContent, what: &str) {
    assert_exactly_once(acked, log, what);
    let unanswered: Vec<_> = log.ids.keys().filter(|id| !acked.contains(*id)).collect();
    assert!(
        unanswered.is_empty(),
        "{} {what} logged whose answer no client read ({} acknowledged, {} rows), e.g. {:?}",
        unanswered.len(),
        acked.len(),
        log.rows,
        unanswered.first()
    );
}

/// Counts of the JSON documents, each parsed with its type and its entries checked.
#[derive(Debug, Default)]
pub struct JsonContent {
    pub metrics_entries: usize,
    pub production_metrics: usize,
    pub drift_reports: usize,
    pub status: Option<PipelineStatus>,
}

/// Parses `model_metrics.json`, `drift_reports.json` and `pipeline_status.json` with
/// `serde_json` into their types and checks every entry's values are in range.
pub fn read_json_files(data: &Path) -> JsonContent {
    let layout = DataLayout::new(data);
    let read = |path: PathBuf| {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (path, bytes)
    };
    let (path, bytes) = read(layout.model_metrics());
    let metrics: MetricsDocument =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for entry in &metrics.history {
        for (name, value) in &entry.metrics {
            assert!(value.is_finite(), "{}: {name} = {value}", path.display());
            let unit = matches!(
                name.as_str(),
                "roc_auc" | "accuracy" | "precision" | "recall" | "f1" | "brier" | "ece" | "ks"
            );
            assert!(
                !unit || (0.0..=1.0).contains(value),
                "{}: {name} = {value} outside [0, 1]",
                path.display()
            );
        }
    }
    let (path, bytes) = read(layout.drift_reports());
    let drift: DriftReportsDocument =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for report in &drift.reports {
        assert!(
            (0.0..=1.0).contains(&report.drifted_share),
            "{}: report {} drifted_share {}",
            path.display(),
            report.id,
            report.drifted_share
        );
        assert!(
            !report.features.is_empty(),
            "{}: report {} has no feature",
            path.display(),
            report.id
        );
        for feature in report.features.iter().chain(report.score.as_ref()) {
            let where_ = format!(
                "{}: report {} feature {}",
                path.display(),
                report.id,
                feature.name
            );
            assert!(
                feature.psi.is_none_or(|p| p.is_finite() && p >= 0.0),
                "{where_}: psi {:?}",
                feature.psi
            );
            let p_value = feature
                .ks
                .map(|k| k.p_value)
                .or(feature.chi2.map(|c| c.p_value));
            assert!(
                p_value.is_none_or(|p| (0.0..=1.0).contains(&p)),
                "{where_}: p-value {p_value:?}"
            );
            assert_eq!(
                feature.n_current, report.current.rows,
                "{where_}: n_current"
            );
        }
    }
    let (path, bytes) = read(layout.pipeline_status());
    let status: PipelineStatus =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    JsonContent {
        metrics_entries: metrics.history.len(),
        production_metrics: metrics
            .history
            .iter()
            .filter(|e| e.source == MetricSource::Production)
            .count(),
        drift_reports: drift.reports.len(),
        status: Some(status),
    }
}

/// Files left in the directory where the store stages its atomic writes
/// ([`DataLayout::tmp_dir`]; an interrupted write leaves one there until the next open
/// cleans it). The directory must exist: every open creates it, so a missing one means
/// the check looks in the wrong place, and an empty answer would prove nothing.
pub fn tmp_files(data: &Path) -> Vec<PathBuf> {
    let tmp = DataLayout::new(data).tmp_dir();
    std::fs::read_dir(&tmp)
        .unwrap_or_else(|e| panic!("{}: {e}", tmp.display()))
        .map(|e| e.expect("tmp entry").path())
        .collect()
}

/// The newest `n` prediction ids as `GET /monitoring/predictions` pages them.
pub fn api_newest_ids(client: &Client, server: &Server, n: usize) -> HashMap<String, u32> {
    let mut ids = HashMap::new();
    let mut offset = 0;
    while offset < n {
        let limit = (n - offset).min(1000);
        let page: PredictionsPage = client
            .get(server.url(&format!(
                "/monitoring/predictions?limit={limit}&offset={offset}"
            )))
            .send()
            .expect("GET /monitoring/predictions")
            .error_for_status()
            .expect("predictions page 200")
            .json()
            .expect("predictions page parses");
        for p in &page.predictions {
            *ids.entry(p.prediction_id.clone()).or_insert(0) += 1;
        }
        offset += page.predictions.len();
        if !page.has_more {
            break;
        }
    }
    ids
}

/// Asks the server about every acknowledged outcome again, in batches: each must come
/// back `duplicate`, i.e. the server's index (rebuilt from the log at start) has it.
pub fn api_confirm_outcomes(client: &Client, server: &Server, acked: &HashSet<String>) {
    let ids: Vec<&String> = acked.iter().collect();
    for chunk in ids.chunks(1000) {
        let body = json!({
            "outcomes": chunk.iter().map(|id| json!({"prediction_id": id, "actual": 0})).collect::<Vec<_>>()
        });
        let response: OutcomesResponse = post(
            client,
            &server.url("/monitoring/outcomes"),
            body.to_string(),
        )
        .expect("POST /monitoring/outcomes")
        .error_for_status()
        .expect("outcomes 200")
        .json()
        .expect("outcomes answer parses");
        let fresh: Vec<_> = response
            .results
            .iter()
            .filter(|r| r.status != OutcomeStatus::Duplicate)
            .collect();
        assert!(
            fresh.is_empty(),
            "acknowledged outcomes unknown to the server: {fresh:?}"
        );
    }
}

/// `GET /monitoring/pipeline-status`.
pub fn api_pipeline_status(client: &Client, server: &Server) -> PipelineStatus {
    client
        .get(server.url("/monitoring/pipeline-status"))
        .send()
        .expect("GET /monitoring/pipeline-status")
        .error_for_status()
        .expect("status 200")
        .json()
        .expect("status parses")
}

/// Whether the state is Running.
pub fn is_running(status: &PipelineStatus) -> bool {
    matches!(status.state, PipelineState::Running { .. })
}

/// The served model version, from `/health`.
pub fn served_version(client: &Client, server: &Server) -> Option<String> {
    let health: Value = client
        .get(server.url("/health"))
        .send()
        .expect("GET /health")
        .json()
        .expect("health parses");
    health["model_version"].as_str().map(str::to_owned)
}

/// `n` applications as the JSON text of their feature maps, to build bodies from.
pub fn feature_texts(n: usize, seed: u64) -> Vec<String> {
    applications(n, seed)
        .into_iter()
        .map(|features| Value::Object(features).to_string())
        .collect()
}

/// One client's load: predictions (single or small batches) and an outcome for some of
/// the ids it got back, until `stop` or until the server stops answering.
#[derive(Debug)]
pub struct Load<'a> {
    pub server: &'a str,
    pub features: &'a [String],
    /// One request in this many is a batch of 2 to 5 instances; 0 means never.
    pub batch_one_in: u64,
    /// Every this many acknowledged predictions, post an outcome for it; 0 means never.
    pub outcome_every: u64,
    pub stop: &'a std::sync::atomic::AtomicBool,
}

/// What one client got acknowledged (a 200 whose body it read whole).
#[derive(Debug, Default)]
pub struct Acknowledged {
    pub predictions: Vec<String>,
    pub outcomes: Vec<String>,
    pub statuses: Statuses,
    /// Why the client stopped before `stop`, if it did (the server went away).
    pub failure: Option<Failure>,
}

/// The request a client got no whole answer to, and the error.
#[derive(Debug)]
pub struct Failure {
    /// `POST /predict`, its answer's body, or `POST /monitoring/outcomes`.
    pub request: &'static str,
    pub error: String,
}

/// Runs `load` on the calling thread.
pub fn drive(load: &Load<'_>, seed: u64) -> Acknowledged {
    use std::sync::atomic::Ordering;
    let client = client();
    let mut rng = Rng::new(seed);
    let mut acked = Acknowledged::default();
    let predict_url = format!("{}/predict", load.server);
    let outcome_url = format!("{}/monitoring/outcomes", load.server);
    let pick = |rng: &mut Rng| {
        let i = usize::try_from(rng.next() % load.features.len() as u64).expect("index");
        &load.features[i]
    };
    let mut counter = 0_u64;
    'load: while !load.stop.load(Ordering::Relaxed) {
        let batch = load.batch_one_in > 0 && rng.next().is_multiple_of(load.batch_one_in);
        let body = if batch {
            let n = rng.range(2, 6);
            let items: Vec<&str> = (0..n).map(|_| pick(&mut rng).as_str()).collect();
            format!("{{\"instances\":[{}]}}", items.join(","))
        } else {
            format!("{{\"features\":{}}}", pick(&mut rng))
        };
        let response = match post(&client, &predict_url, body) {
            Ok(r) => r,
            Err(e) => {
                acked.failure = Some(Failure {
                    request: "predict",
                    error: format!("{e:?}"),
                });
                acked.statuses.no_response += 1;
                break;
            }
        };
        let code = response.status().as_u16();
        acked.statuses.record(code);
        if code != 200 {
            continue;
        }
        // The prediction counts as acknowledged only once the whole answer is read.
        let answer = match response.json::<Value>() {
            Ok(a) => a,
            Err(e) => {
                acked.failure = Some(Failure {
                    request: "predict answer body",
                    error: format!("{e:?}"),
                });
                acked.statuses.no_response += 1;
                break;
            }
        };
        // Every id of the answer is acknowledged now, before any outcome is posted: an
        // outcome post the stop cuts off must not leave the rest of a batch uncounted.
        let ids = prediction_ids(&answer);
        acked.predictions.extend(ids.iter().cloned());
        for id in ids {
            counter += 1;
            if load.outcome_every == 0 || !counter.is_multiple_of(load.outcome_every) {
                continue;
            }
            let body = json!({"prediction_id": id, "actual": rng.next() % 2}).to_string();
            let response = match post(&client, &outcome_url, body) {
                Ok(r) => r,
                Err(e) => {
                    acked.failure = Some(Failure {
                        request: "outcome",
                        error: format!("{e:?}"),
                    });
                    acked.statuses.no_response += 1;
                    break 'load;
                }
            };
            let code = response.status().as_u16();
            acked.statuses.record(code);
            if code == 200 && response.bytes().is_ok() {
                acked.outcomes.push(id);
            }
        }
    }
    acked
}
