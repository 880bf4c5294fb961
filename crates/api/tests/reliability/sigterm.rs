//! SIGTERM during load and during a pipeline run: the process exits 0 within the
//! shutdown timeout, every acknowledged write is in its log exactly once with no torn
//! row, and an interrupted run is recorded as cancelled by the shutdown while the old
//! model keeps serving.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use scorewatch_api::pipeline::SHUTDOWN_REASON;
use scorewatch_core::views::RunAccepted;
use scorewatch_core::{PipelineState, RunOutcome, Stage};
use serde_json::json;

use crate::support::{
    Acknowledged, Load, Rng, Server, Statuses, api_newest_ids, api_pipeline_status,
    assert_exactly_once, client, drive, feature_texts, post, prepare_data_dir, read_json_files,
    read_outcomes_log, read_predictions_log, seed, served_version, tmp_files, write_training_file,
};

const SHUTDOWN_TIMEOUT_SECS: u64 = 5;
/// After the in-flight requests (bounded by the shutdown timeout), the process cancels a
/// running pipeline and closes the store; this is what that may add before the test
/// calls the exit late.
const CLOSE_ALLOWANCE: Duration = Duration::from_secs(3);
const CLIENTS: usize = 16;
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
fn sigterm_under_load_exits_cleanly_and_keeps_every_acknowledged_write() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = prepare_data_dir(root.path());
    let features = feature_texts(500, 31);
    let seed = seed();
    println!("sigterm under load: seed {seed}");
    let mut rng = Rng::new(seed);
    let delay = Duration::from_millis(rng.range(TERM_AFTER_MS.0, TERM_AFTER_MS.1));
    let mut server = start(&data);
    let base = server.base.clone();
    let stop = AtomicBool::new(false);
    let round_seed = rng.next();

    let load = Load {
        server: &base,

        features: &features,

        batch_one_in: 4,

        outcome_every: 3,

        stop: &stop,
    };

    let load = &load;

    let (results, exit, stop_time): (Vec<Acknowledged>, _, _) = std::thread::scope(|scope| {
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
    });
    assert!(exit.success(), "exit status after SIGTERM: {exit}");

    let mut statuses = Statuses::default();
    let mut acked_predictions = HashSet::new();
    let mut acked_outcomes = HashSet::new();
    for result in &results {
        statuses.merge(&result.statuses);
        acked_predictions.extend(result.predictions.iter().cloned());
        acked_outcomes.extend(result.outcomes.iter().cloned());
    }
    assert_eq!(statuses.server_errors(), 0, "5xx answers: {statuses:?}");
    // Straight after the exit, before any restart could repair anything.
    let predictions = read_predictions_log(&data);
    assert_exactly_once(&acked_predictions, &predictions, "predictions");
    let outcomes = read_outcomes_log(&data);
    assert_exactly_once(&acked_outcomes, &outcomes, "outcomes");
    read_json_files(&data);
    assert!(
        tmp_files(&data).is_empty(),
        "data/tmp: {:?}",
        tmp_files(&data)
    );

    // A restart finds nothing to repair and serves every acknowledged prediction.
    let mut server = start(&data);
    assert!(
        !server
            .log()
            .iter()
            .any(|line| line.contains("torn log tails")),
        "the restart cut a torn tail: {:?}",
        server.log()
    );
    let client = client();
    let newest = api_newest_ids(&client, &server, predictions.rows);
    assert!(
        acked_predictions
            .iter()
            .all(|id| newest.get(id) == Some(&1))
    );
    let (exit, _) = server.terminate(exit_limit());
    assert!(exit.success());
    println!(
        "sigterm under load: {CLIENTS} clients, SIGTERM after {} ms, exit 0 after {:.2} s \
         (shutdown timeout {SHUTDOWN_TIMEOUT_SECS} s); {} predictions and {} outcomes \
         acknowledged, lost 0, duplicated 0, {} log rows ({} logged without the client reading \
         the answer), no torn row; answers {:?}, {} requests without an answer",
        delay.as_millis(),
        stop_time.as_secs_f64(),
        acked_predictions.len(),
        acked_outcomes.len(),
        predictions.rows,
        predictions.rows - acked_predictions.len(),
        statuses.by_code,
        statuses.no_response,
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
        "data/tmp: {:?}",
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
         {version_before} still served; models/ and data/tmp unchanged",
        signalled_after.as_secs_f64(),
        stop_time.as_secs_f64(),
        record.error,
        record.last_stage,
    );
}

/// Every file under `data/models` with its bytes.
fn model_files(data: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![data.join("models")];
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
