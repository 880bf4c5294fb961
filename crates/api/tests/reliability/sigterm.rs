//! SIGTERM during load and during a pipeline run: the process exits 0 within the
//! shutdown timeout, the logs hold exactly the acknowledged writes, each once, with no
//! torn row (nothing whose answer a client did not read), and an interrupted run is recorded as cancelled by the shutdown while the old
//! model keeps serving.

use std::collections::{BTreeMap, HashSet};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use scorewatch_api::run_control::SHUTDOWN_REASON;
use scorewatch_core::views::RunAccepted;
use scorewatch_core::{DataLayout, PipelineState, RunOutcome, Stage};
use serde_json::json;

use crate::support::{
    Acknowledged, Load, Rng, Server, Statuses, api_newest_ids, api_pipeline_status,
    assert_log_is_exactly, client, drive, feature_texts, post, prepare_data_dir, read_json_files,
    read_outcomes_log, read_predictions_log, seed, served_version, tmp_files, write_training_file,
};

const SHUTDOWN_TIMEOUT_SECS: u64 = 5;
/// After the in-flight requests (bounded by the shutdown timeout), the process cancels a
/// running pipeline and closes the store; this is what that may add before the test
/// calls the exit late.
const CLOSE_ALLOWANCE: Duration = Duration::from_secs(3);
const CLIENTS: usize = 16;
/// Start, load, SIGTERM, check: this many times on one data directory, each with its own
/// signal moment.
const ROUNDS: usize = 4;
/// SIGTERM this long (milliseconds) after the clients start.
const TERM_AFTER_MS: (u64, u64) = (300, 1500);
/// The training file of the interrupted run: large enough that it is still training
/// when the signal comes.
const BIG_TRAINING_ROWS: usize = 400_000;

fn serve_args() -> [String; 2] {
    [
        "--shutdown-timeout".to_owned(),
        SHUTDOWN_TIMEOUT_SECS.to_string(),
    ]
}

fn exit_limit() -> Duration {
    Duration::from_secs(SHUTDOWN_TIMEOUT_SECS) + CLOSE_ALLOWANCE
}

fn start(data: &std::path::Path) -> Server {
    let args = serve_args();
    Server::start(data, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
#[ignore = "spawns the release server; run by scripts/reliability.sh"]
fn sigterm_under_load_exits_cleanly_and_logs_exactly_the_acknowledged_writes() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = prepare_data_dir(root.path());
    let features = feature_texts(500, 31);
    let seed = seed();
    println!("sigterm under load: seed {seed}");
    let mut rng = Rng::new(seed);
    let mut statuses = Statuses::default();
    let mut acked_predictions = HashSet::new();
    let mut acked_outcomes = HashSet::new();
    // Per request kind: how many clients it stopped, and one error as an example.
    let mut failures = BTreeMap::<&str, (u64, String)>::new();
    let mut delays = Vec::new();
    let mut stop_times = Vec::new();
    for round in 1..=ROUNDS {
        let delay = Duration::from_millis(rng.range(TERM_AFTER_MS.0, TERM_AFTER_MS.1));
        let round_seed = rng.next();
        let mut server = start(&data);
        // The previous round's stop left every file whole.
        assert_no_torn_tail(&server, round);
        let (results, exit, stop_time) =
            load_then_terminate(&mut server, &features, delay, round_seed);
        assert!(
            exit.success(),
            "round {round}: exit status after SIGTERM: {exit}"
        );
        for result in &results {
            statuses.merge(&result.statuses);
            acked_predictions.extend(result.predictions.iter().cloned());
            acked_outcomes.extend(result.outcomes.iter().cloned());
            if let Some(failure) = &result.failure {
                failures
                    .entry(failure.request)
                    .or_insert_with(|| (0, failure.error.clone()))
                    .0 += 1;
            }
        }
        assert_eq!(
            statuses.server_errors(),
            0,
            "round {round}: 5xx answers: {statuses:?}"
        );
        // Straight after the exit, before any restart could repair anything: every
        // prediction and outcome whose answer a client read is logged once, and nothing
        // else is (a request the stop cut off was refused before it was logged, so a
        // retry is safe).
        let predictions = read_predictions_log(&data);
        assert_log_is_exactly(&acked_predictions, &predictions, "predictions");
        let outcomes = read_outcomes_log(&data);
        assert_log_is_exactly(&acked_outcomes, &outcomes, "outcomes");
        read_json_files(&data);
        assert!(
            tmp_files(&data).is_empty(),
            "round {round}: files left in the staging directory: {:?}",
            tmp_files(&data)
        );
        delays.push(delay.as_millis());
        stop_times.push(format!("{:.2}", stop_time.as_secs_f64()));
    }

    // A restart finds nothing to repair and serves every acknowledged prediction once.
    let mut server = start(&data);
    assert_no_torn_tail(&server, ROUNDS + 1);
    let client = client();
    let predictions = read_predictions_log(&data);
    let newest = api_newest_ids(&client, &server, predictions.rows);
    assert!(
        acked_predictions
            .iter()
            .all(|id| newest.get(id) == Some(&1))
    );
    let (exit, _) = server.terminate(exit_limit());
    assert!(exit.success());
    println!(
        "sigterm under load: {ROUNDS} rounds of {CLIENTS} clients, SIGTERM after {delays:?} ms, \
         exit 0 after {stop_times:?} s (shutdown timeout {SHUTDOWN_TIMEOUT_SECS} s); {} \
         predictions and {} outcomes acknowledged, {} prediction rows and {} outcome rows: \
         lost 0, duplicated 0, logged without an answer 0, no torn row; answers {:?}, {} \
         requests without an answer {failures:?}",
        acked_predictions.len(),
        acked_outcomes.len(),
        predictions.rows,
        read_outcomes_log(&data).rows,
        statuses.by_code,
        statuses.no_response,
    );
}

/// Drives `CLIENTS` clients against `server`, SIGTERMs it after `delay`, and returns what
/// each client got acknowledged, the exit status and how long the exit took.
fn load_then_terminate(
    server: &mut Server,
    features: &[String],
    delay: Duration,
    round_seed: u64,
) -> (Vec<Acknowledged>, ExitStatus, Duration) {
    let base = server.base.clone();
    let stop = AtomicBool::new(false);
    let load = Load {
        server: &base,
        features,
        batch_one_in: 4,
        outcome_every: 3,
        stop: &stop,
    };
    let load = &load;
    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS as u64)
            .map(|c| scope.spawn(move || drive(load, round_seed ^ (c + 1))))
            .collect();
        std::thread::sleep(delay);
        let (exit, stop_time) = server.terminate(exit_limit());
        stop.store(true, Ordering::Relaxed);
        let results = clients
            .into_iter()
            .map(|c| c.join().expect("client thread"))
            .collect();
        (results, exit, stop_time)
    })
}

fn assert_no_torn_tail(server: &Server, round: usize) {
    assert!(
        !server
            .log()
            .iter()
            .any(|line| line.contains("torn log tails")),
        "start {round}: the restart cut a torn tail: {:?}",
        server.log()
    );
}

#[test]
#[ignore = "spawns the release server; run by scripts/reliability.sh"]
fn sigterm_during_a_pipeline_run_cancels_it_and_keeps_the_old_model() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = prepare_data_dir(root.path());
    write_training_file(&data, "big.csv", BIG_TRAINING_ROWS, 5);
    let models_before = model_files(&data);
    let mut server = start(&data);
    let client = client();
    let version_before = served_version(&client, &server).expect("a model serves");

    let response = post(
        &client,
        &server.url("/monitoring/run-pipeline"),
        json!({"training_file": "big.csv"}).to_string(),
    )
    .expect("POST /monitoring/run-pipeline");
    assert_eq!(response.status(), 202);
    let run_id = response.json::<RunAccepted>().expect("run accepted").run_id;
    let started = Instant::now();
    let stage = loop {
        let status = api_pipeline_status(&client, &server);
        match status.state {
            PipelineState::Running { stage, .. } if stage >= Stage::Training => break stage,
            PipelineState::Running { .. } => {}
            other => panic!("the run ended before the signal ({other:?}); raise BIG_TRAINING_ROWS"),
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let signalled_after = started.elapsed();
    let (exit, stop_time) = server.terminate(exit_limit());
    assert!(exit.success(), "exit status after SIGTERM: {exit}");

    let json = read_json_files(&data);
    let status = json.status.expect("status read");
    assert!(
        matches!(&status.state, PipelineState::Cancelled { run_id: r, .. } if *r == run_id),
        "{status:?}"
    );
    let record = status.runs.last().expect("run recorded");
    assert_eq!(record.run_id, run_id);
    assert_eq!(record.outcome, RunOutcome::Cancelled);
    assert_eq!(record.error.as_deref(), Some(SHUTDOWN_REASON));
    assert!(
        tmp_files(&data).is_empty(),
        "files left in the staging directory: {:?}",
        tmp_files(&data)
    );
    assert_eq!(model_files(&data), models_before, "models/ changed");

    let mut server = start(&data);
    assert_eq!(
        served_version(&client, &server).as_deref(),
        Some(version_before.as_str())
    );
    assert_eq!(api_pipeline_status(&client, &server), status);
    let (exit, _) = server.terminate(exit_limit());
    assert!(exit.success());
    println!(
        "sigterm during a pipeline run: {BIG_TRAINING_ROWS} training rows, signal {:.2} s \
         into the run (stage {stage:?}), exit 0 after {:.2} s (shutdown timeout \
         {SHUTDOWN_TIMEOUT_SECS} s); run recorded cancelled ({:?}, last stage {:?}); model \
         {version_before} still served; models/ unchanged, nothing left in data/monitoring/tmp",
        signalled_after.as_secs_f64(),
        stop_time.as_secs_f64(),
        record.error,
        record.last_stage,
    );
}

/// Every file under `data/models` with its bytes.
fn model_files(data: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![DataLayout::new(data).models_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read models dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read model file");
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}
