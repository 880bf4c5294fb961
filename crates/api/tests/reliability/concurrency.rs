//! 64 clients x 2,000 single-instance predictions, while other threads post outcomes
//! for the returned ids, request drift reports and run the pipeline once: no 5xx, no
//! request without an answer, exact row counts, valid drift and metrics files, and the
//! pipeline run ended.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use scorewatch_core::views::{OutcomeStatus, OutcomesResponse, PredictResponse, RunAccepted};
use scorewatch_core::{PipelineState, RunOutcome};
use serde_json::json;

use crate::support::{
    Server, Statuses, api_pipeline_status, assert_exactly_once, client, feature_texts, is_running,
    post, prepare_data_dir, read_json_files, read_outcomes_log, read_predictions_log,
};

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 2000;
/// Every this many predictions of a client, its id goes to an outcome poster.
const OUTCOME_EVERY: usize = 4;
const OUTCOME_POSTERS: usize = 4;
const OUTCOME_BATCH: usize = 25;
const DRIFT_PAUSE: Duration = Duration::from_millis(250);
/// The pipeline run starts once this many predictions are answered.
const PIPELINE_AFTER: usize = CLIENTS * PER_CLIENT / 4;
/// Keep-alive longer than any pause of a client, so no request races the server closing
/// an idle connection (a request lost that way would be a client artefact, not a loss).
const SERVE_ARGS: [&str; 4] = ["--keep-alive", "120", "--shutdown-timeout", "10"];

#[test]
#[ignore = "spawns the release server; run by scripts/reliability.sh"]
#[allow(
    clippy::too_many_lines,
    reason = "one scenario: the load, then every check"
)]
fn sixty_four_clients_with_outcomes_drift_and_a_pipeline_run() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = prepare_data_dir(root.path());
    let features = feature_texts(1000, 23);
    let mut server = Server::start(&data, &SERVE_ARGS);
    let base = server.base.clone();
    let answered = AtomicUsize::new(0);
    let predicting = AtomicBool::new(true);
    let started = Instant::now();

    let (predictions, outcomes, statuses, drift_created, run_id) = std::thread::scope(|scope| {
        let (base, features, answered, predicting) = (&base, &features, &answered, &predicting);
        let mut senders = Vec::new();
        let mut posters = Vec::new();
        for _ in 0..OUTCOME_POSTERS {
            let (tx, rx) = mpsc::channel::<String>();
            senders.push(tx);
            posters.push(scope.spawn(move || post_outcomes(base, &rx)));
        }
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let tx = senders[c % OUTCOME_POSTERS].clone();
                scope.spawn(move || {
                    let client = client();
                    let url = format!("{base}/predict");
                    let mut statuses = Statuses::default();
                    let mut ids = Vec::with_capacity(PER_CLIENT);
                    for i in 0..PER_CLIENT {
                        let body = format!(
                            "{{\"features\":{}}}",
                            features[(c * 7 + i) % features.len()]
                        );
                        let Ok(response) = post(&client, &url, body) else {
                            statuses.no_response += 1;
                            continue;
                        };
                        statuses.record(response.status().as_u16());
                        if response.status() != 200 {
                            continue;
                        }
                        let answer: PredictResponse = response.json().expect("prediction parses");
                        answered.fetch_add(1, Ordering::Relaxed);
                        if i % OUTCOME_EVERY == 0 {
                            tx.send(answer.prediction_id.clone()).expect("poster alive");
                        }
                        ids.push(answer.prediction_id);
                    }
                    (ids, statuses)
                })
            })
            .collect();
        drop(senders);
        let drift = scope.spawn(move || request_drift(base, predicting));
        let pipeline = scope.spawn(move || run_pipeline_once(base, answered));

        let mut predictions = Vec::new();
        let mut statuses = Statuses::default();
        for c in clients {
            let (ids, s) = c.join().expect("client thread");
            predictions.extend(ids);
            statuses.merge(&s);
        }
        predicting.store(false, Ordering::Relaxed);
        let mut outcomes = Vec::new();
        for p in posters {
            let (ids, s) = p.join().expect("outcome thread");
            outcomes.extend(ids);
            statuses.merge(&s);
        }
        let (created, s) = drift.join().expect("drift thread");
        statuses.merge(&s);
        let (run_id, s) = pipeline.join().expect("pipeline thread");
        statuses.merge(&s);
        (predictions, outcomes, statuses, created, run_id)
    });
    let load_time = started.elapsed();

    let client = client();
    let status = api_pipeline_status(&client, &server);
    let (exit, stop_time) = server.terminate(Duration::from_secs(30));
    assert!(exit.success(), "SIGTERM after the load: {exit}");

    assert_eq!(statuses.server_errors(), 0, "5xx answers: {statuses:?}");
    assert_eq!(
        statuses.no_response, 0,
        "requests without an answer: {statuses:?}"
    );
    assert_eq!(
        predictions.len(),
        CLIENTS * PER_CLIENT,
        "answered predictions: {statuses:?}"
    );
    let acked_predictions: HashSet<String> = predictions.iter().cloned().collect();
    let acked_outcomes: HashSet<String> = outcomes.iter().cloned().collect();
    assert_eq!(
        acked_predictions.len(),
        predictions.len(),
        "the server returned an id twice"
    );
    assert_eq!(outcomes.len(), CLIENTS * PER_CLIENT / OUTCOME_EVERY);

    let log = read_predictions_log(&data);
    assert_eq!(
        log.rows,
        CLIENTS * PER_CLIENT,
        "rows in predictions_log.csv"
    );
    assert_exactly_once(&acked_predictions, &log, "predictions");
    let outcome_log = read_outcomes_log(&data);
    assert_eq!(outcome_log.rows, outcomes.len(), "rows in outcomes_log.csv");
    assert_exactly_once(&acked_outcomes, &outcome_log, "outcomes");
    let json = read_json_files(&data);
    assert!(json.drift_reports > 0, "no drift report written");
    assert!(json.production_metrics > 0, "no production metrics written");
    assert!(!is_running(&status));
    assert!(
        matches!(&status.state, PipelineState::Succeeded { run_id: r, .. } if *r == run_id),
        "pipeline run {run_id} did not succeed: {status:?}"
    );
    let record = status
        .runs
        .iter()
        .find(|r| r.run_id == run_id)
        .expect("run recorded");
    assert!(matches!(
        record.outcome,
        RunOutcome::Promoted | RunOutcome::Rejected
    ));
    assert_eq!(
        json.status.as_ref(),
        Some(&status),
        "status file and API differ"
    );

    let requests = statuses.total();
    println!(
        "concurrency: {CLIENTS} clients x {PER_CLIENT} = {} predictions answered 200 and \
         logged once ({} rows), {} outcomes accepted and logged once, {drift_created} drift \
         reports requested ({} kept in drift_reports.json), {} metrics entries ({} \
         production), pipeline run {:?}; answers {:?}, no answer {}; lost 0, duplicated 0; \
         {requests} requests in {:.1} s = {:.0} requests/s; SIGTERM to exit {:.2} s",
        predictions.len(),
        log.rows,
        outcomes.len(),
        json.drift_reports,
        json.metrics_entries,
        json.production_metrics,
        record.outcome,
        statuses.by_code,
        statuses.no_response,
        load_time.as_secs_f64(),
        requests as f64 / load_time.as_secs_f64(),
        stop_time.as_secs_f64(),
    );
}

/// Posts the ids it receives as outcome batches; every item must be accepted.
fn post_outcomes(base: &str, ids: &mpsc::Receiver<String>) -> (Vec<String>, Statuses) {
    let client = client();
    let url = format!("{base}/monitoring/outcomes");
    let mut statuses = Statuses::default();
    let mut accepted = Vec::new();
    let mut batch = Vec::with_capacity(OUTCOME_BATCH);
    let mut flip = 0_u8;
    loop {
        let next = ids.recv();
        if let Ok(id) = &next {
            batch.push(id.clone());
        }
        if batch.len() == OUTCOME_BATCH || (next.is_err() && !batch.is_empty()) {
            let body = json!({
                "outcomes": batch.iter().map(|id| {
                    flip ^= 1;
                    json!({"prediction_id": id, "actual": flip})
                }).collect::<Vec<_>>()
            });
            match post(&client, &url, body.to_string()) {
                Ok(response) => {
                    statuses.record(response.status().as_u16());
                    if response.status() == 200 {
                        let answer: OutcomesResponse = response.json().expect("outcomes parse");
                        for result in answer.results {
                            assert_eq!(
                                result.status,
                                OutcomeStatus::Accepted,
                                "{}",
                                result.prediction_id
                            );
                            accepted.push(result.prediction_id);
                        }
                    }
                }
                Err(_) => statuses.no_response += 1,
            }
            batch.clear();
        }
        if next.is_err() {
            return (accepted, statuses);
        }
    }
}

/// `POST /monitoring/drift/run` every `DRIFT_PAUSE` while predictions run; returns the
/// reports created.
fn request_drift(base: &str, predicting: &AtomicBool) -> (usize, Statuses) {
    let client = client();
    let url = format!("{base}/monitoring/drift/run");
    let mut statuses = Statuses::default();
    let mut created = 0;
    while predicting.load(Ordering::Relaxed) {
        match post(&client, &url, String::new()) {
            Ok(response) => {
                let code = response.status().as_u16();
                statuses.record(code);
                // 409: no prediction of a just-promoted model yet.
                assert!(matches!(code, 201 | 409), "drift run answered {code}");
                created += usize::from(code == 201);
            }
            Err(_) => statuses.no_response += 1,
        }
        std::thread::sleep(DRIFT_PAUSE);
    }
    (created, statuses)
}

/// Starts one pipeline run once `PIPELINE_AFTER` predictions are answered, then follows
/// it until it ends; returns its id.
fn run_pipeline_once(base: &str, answered: &AtomicUsize) -> (String, Statuses) {
    let client = client();
    let mut statuses = Statuses::default();
    while answered.load(Ordering::Relaxed) < PIPELINE_AFTER {
        std::thread::sleep(Duration::from_millis(20));
    }
    let response = post(
        &client,
        &format!("{base}/monitoring/run-pipeline"),
        String::new(),
    )
    .expect("POST /monitoring/run-pipeline");
    statuses.record(response.status().as_u16());
    assert_eq!(response.status(), 202, "pipeline start");
    let run_id = response.json::<RunAccepted>().expect("run accepted").run_id;
    loop {
        let response = client
            .get(format!("{base}/monitoring/pipeline-status"))
            .send()
            .expect("GET /monitoring/pipeline-status");
        statuses.record(response.status().as_u16());
        let status: scorewatch_core::PipelineStatus = response.json().expect("status parses");
        if !is_running(&status) {
            return (run_id, statuses);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
