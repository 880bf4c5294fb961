//! SIGKILL of `scorewatch serve` under `/predict` and `/monitoring/outcomes` load, at a
//! random moment, `ROUNDS` times on one data directory. After each restart: every
//! acknowledged prediction and outcome is in its log exactly once (read from the file
//! and through the API), every file parses, no torn row, nothing is left in the store's
//! staging directory (`data/monitoring/tmp`) and the pipeline is not stuck Running.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use scorewatch_core::views::RunAccepted;
use scorewatch_core::{INTERRUPTED, PipelineState, RunOutcome};
use serde_json::json;

use crate::support::{
    Acknowledged, Load, Rng, Server, Statuses, api_confirm_outcomes, api_newest_ids,
    api_pipeline_status, assert_exactly_once, client, drive, feature_texts, is_running, post,
    prepare_data_dir, read_json_files, read_outcomes_log, read_predictions_log, seed, tmp_files,
    write_training_file,
};

const ROUNDS: u32 = 12;
const CLIENTS: usize = 4;
/// The kill comes this long (milliseconds) after the clients start.
const KILL_AFTER_MS: (u64, u64) = (100, 1200);
/// Rounds `r` with `r % PIPELINE_EVERY == 1` start a pipeline run before the kill.
const PIPELINE_EVERY: u32 = 3;
/// The run's training file: big enough that the kill usually lands while it runs.
const SLOW_TRAINING_ROWS: usize = 150_000;
/// Frequent background drift reports and production metrics, so that the kill can also
/// land in their atomic writes.
const SERVE_ARGS: [&str; 4] = ["--drift-every", "300", "--metrics-every", "100"];

#[test]
#[ignore = "spawns the release server; run by scripts/reliability.sh"]
#[allow(
    clippy::too_many_lines,
    reason = "one scenario: load, kill, restart, check"
)]
fn sigkill_under_load_loses_no_acknowledged_write() {
    let started = Instant::now();
    let root = tempfile::tempdir().expect("temp dir");
    let data = prepare_data_dir(root.path());
    write_training_file(&data, "slow.csv", SLOW_TRAINING_ROWS, 99);
    let features = feature_texts(500, 11);
    let seed = seed();
    println!("crash: seed {seed} (RELIABILITY_SEED={seed} replays the delays)");
    let mut rng = Rng::new(seed);
    let client = client();

    let mut acked_predictions: HashSet<String> = HashSet::new();
    let mut acked_outcomes: HashSet<String> = HashSet::new();
    let mut statuses = Statuses::default();
    let mut interrupted_runs = 0;
    let mut ended_runs = 0;
    let mut rows_before = 0;
    let mut server = Server::start(&data, &SERVE_ARGS);
    for round in 0..ROUNDS {
        let stop = AtomicBool::new(false);
        let delay = Duration::from_millis(rng.range(KILL_AFTER_MS.0, KILL_AFTER_MS.1));
        let run_id = (round % PIPELINE_EVERY == 1).then(|| {
            let response = post(
                &client,
                &server.url("/monitoring/run-pipeline"),
                json!({"training_file": "slow.csv"}).to_string(),
            )
            .expect("POST /monitoring/run-pipeline");
            assert_eq!(response.status(), 202, "round {round}: pipeline start");
            response.json::<RunAccepted>().expect("run accepted").run_id
        });
        let round_seed = rng.next();
        let base = server.base.clone();
        let load = Load {
            server: &base,
            features: &features,
            batch_one_in: 4,
            outcome_every: 3,
            stop: &stop,
        };
        let load = &load;
        let results: Vec<Acknowledged> = std::thread::scope(|scope| {
            let clients: Vec<_> = (0..CLIENTS as u64)
                .map(|c| scope.spawn(move || drive(load, round_seed ^ (c + 1))))
                .collect();
            std::thread::sleep(delay);
            server.kill();
            stop.store(true, Ordering::Relaxed);
            clients
                .into_iter()
                .map(|c| c.join().expect("client thread"))
                .collect()
        });
        let mut round_predictions = HashSet::new();
        for result in &results {
            round_predictions.extend(result.predictions.iter().cloned());
            acked_outcomes.extend(result.outcomes.iter().cloned());
            statuses.merge(&result.statuses);
        }
        acked_predictions.extend(round_predictions.iter().cloned());

        server = Server::start(&data, &SERVE_ARGS);

        // The files, read directly (the server has repaired any torn tail at open).
        let predictions = read_predictions_log(&data);
        assert_exactly_once(&acked_predictions, &predictions, "predictions");
        let outcomes = read_outcomes_log(&data);
        assert_exactly_once(&acked_outcomes, &outcomes, "outcomes");
        let json = read_json_files(&data);
        assert!(
            tmp_files(&data).is_empty(),
            "round {round}: files left in the staging directory: {:?}",
            tmp_files(&data)
        );
        // The same through the API: this round's predictions are the newest rows.
        let newest = api_newest_ids(&client, &server, predictions.rows - rows_before);
        for id in &round_predictions {
            assert_eq!(
                newest.get(id),
                Some(&1),
                "round {round}: prediction {id} via the API"
            );
        }
        rows_before = predictions.rows;
        // The pipeline: never left Running; a run the kill interrupted is recorded so.
        let status = api_pipeline_status(&client, &server);
        assert!(
            !is_running(&status),
            "round {round}: pipeline stuck running"
        );
        assert_eq!(
            Some(&status),
            json.status.as_ref(),
            "round {round}: status file and API differ"
        );
        if let Some(run_id) = &run_id {
            let record = status
                .runs
                .iter()
                .find(|r| r.run_id == *run_id)
                .unwrap_or_else(|| panic!("round {round}: run {run_id} not recorded"));
            if record.outcome == RunOutcome::Failed {
                assert_eq!(record.error.as_deref(), Some(INTERRUPTED), "round {round}");
                assert!(matches!(
                    &status.state,
                    PipelineState::Failed { run_id: r, error, .. } if r == run_id && error == INTERRUPTED
                ));
                interrupted_runs += 1;
            } else {
                ended_runs += 1;
            }
        }
        println!(
            "crash round {round:2}: killed after {:4} ms, {:5} predictions and {:4} outcomes \
             acknowledged this round; log {} predictions, {} outcomes; {} drift reports, {} \
             metrics entries{}",
            delay.as_millis(),
            round_predictions.len(),
            results.iter().map(|r| r.outcomes.len()).sum::<usize>(),
            predictions.rows,
            outcomes.rows,
            json.drift_reports,
            json.metrics_entries,
            if run_id.is_some() {
                "; pipeline run in flight"
            } else {
                ""
            },
        );
    }
    // At the end, every acknowledged outcome through the API too (the server's index is
    // rebuilt from the log at each start).
    api_confirm_outcomes(&client, &server, &acked_outcomes);
    let (exit, _) = server.terminate(Duration::from_secs(30));
    assert!(exit.success(), "final SIGTERM: {exit}");
    assert_eq!(statuses.server_errors(), 0, "5xx answers: {statuses:?}");
    let predictions = read_predictions_log(&data);
    assert_exactly_once(&acked_predictions, &predictions, "predictions");
    assert_exactly_once(&acked_outcomes, &read_outcomes_log(&data), "outcomes");
    println!(
        "crash: {ROUNDS} rounds, {} acknowledged predictions and {} outcomes, lost 0, \
         duplicated 0; {} log rows (unacknowledged rows are requests cut by the kill); \
         answers {:?}, {} requests cut by the kill; pipeline runs interrupted {interrupted_runs}, \
         ended before the kill {ended_runs}; {:.1} s",
        acked_predictions.len(),
        acked_outcomes.len(),
        predictions.rows,
        statuses.by_code,
        statuses.no_response,
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked_predictions.len() > ROUNDS as usize * CLIENTS,
        "the clients were acknowledged too little to test anything"
    );
}
