//! Crash test at the store level: a child process (this test binary re-run in child
//! mode) appends predictions and outcomes from several threads and marks a pipeline run
//! as Running; the parent SIGKILLs it at a random moment, reopens the data directory,
//! and checks that every append the child saw return is in the log exactly once, every
//! row parses, no torn row is left, and the run is no longer Running. Repeated for
//! `ROUNDS` rounds on the same directory.
//!
//! The same checks through HTTP (`/predict`, `/monitoring/outcomes`) belong to the API's
//! crash test; this one needs no server and runs in CI in about a second.
#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns panic on setup failure"
)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use scorewatch_core::{
    FsyncPolicy, OutcomeRecord, PipelineRunner, PipelineState, PredictionRecord, Stage, Store,
    StoreOptions,
};

const ROUNDS: u32 = 12;
const CHILD_THREADS: usize = 4;
/// Kill after a random delay in this range (milliseconds) from the child's "ready".
const KILL_AFTER_MS: (u64, u64) = (5, 80);
/// Upper bound on one round, so a stuck child fails the test instead of hanging CI.
const ROUND_TIMEOUT: Duration = Duration::from_secs(20);
const CHILD_ENV: &str = "SCOREWATCH_CRASH_CHILD_DIR";

fn options() -> StoreOptions {
    StoreOptions {
        // The default: rows reach the OS before the append returns; fsync in background.
        fsync: FsyncPolicy::default(),
        ..StoreOptions::default()
    }
}

fn features() -> Vec<String> {
    vec!["age".to_owned(), "purpose".to_owned()]
}

/// Child mode: append until killed, printing `P <id>` / `O <id>` after each append
/// returns.
fn child(dir: &Path) {
    let store = Arc::new(Store::open(dir, options()).expect("child opens the store"));
    let runner = PipelineRunner::new(Arc::clone(&store)).expect("runner");
    let run_id = runner.begin().expect("begin a run");
    let round = std::env::var("SCOREWATCH_CRASH_ROUND").unwrap_or_default();
    println!("ready {run_id}");
    std::io::stdout().flush().expect("flush");
    let threads: Vec<_> = (0..CHILD_THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            let round = round.clone();
            std::thread::spawn(move || {
                let stdout = std::io::stdout();
                for i in 0.. {
                    let id = format!("r{round}-t{t}-{i}");
                    let record = PredictionRecord {
                        prediction_id: id.clone(),
                        timestamp: time::OffsetDateTime::now_utc(),
                        model_version: "v1".to_owned(),
                        score: 0.25,
                        decision: 0,
                        // A quoted field: a torn row inside quotes must be caught too.
                        features: vec![Some(format!("{i}")), Some("car, \"new\"".to_owned())],
                    };
                    store
                        .predictions()
                        .append(&features(), &[record])
                        .expect("append prediction");
                    writeln!(stdout.lock(), "P {id}").expect("ack");
                    if i % 3 == 0 {
                        let outcome = OutcomeRecord {
                            prediction_id: id.clone(),
                            timestamp: time::OffsetDateTime::now_utc(),
                            actual: 1,
                        };
                        store.outcomes().append(&[outcome]).expect("append outcome");
                        writeln!(stdout.lock(), "O {id}").expect("ack");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[test]
fn crash_child() {
    // Entry point of the child process; does nothing in a normal test run.
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
    }
}

/// A small xorshift generator; the seed is printed so a failing round can be replayed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn ids_in_log(store: &Store) -> (HashMap<String, u32>, HashMap<String, u32>) {
    let mut predictions = HashMap::new();
    store
        .predictions()
        .scan(&mut |p| {
            *predictions.entry(p.prediction_id).or_insert(0) += 1;
            Ok(ControlFlow::Continue(()))
        })
        .expect("every prediction row parses");
    let mut outcomes = HashMap::new();
    store
        .outcomes()
        .scan(&mut |o| {
            *outcomes.entry(o.prediction_id).or_insert(0) += 1;
            Ok(ControlFlow::Continue(()))
        })
        .expect("every outcome row parses");
    (predictions, outcomes)
}

#[test]
fn sigkill_loses_no_acknowledged_append_and_leaves_no_torn_row() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        .into();
    seed |= 1;
    println!("crash test seed {seed}");
    let mut acked_predictions: HashSet<String> = HashSet::new();
    let mut acked_outcomes: HashSet<String> = HashSet::new();
    let mut torn_tails = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &data)
            .env("SCOREWATCH_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest prints `test crash_child ... ` before the child's first line.
                if let Some((_, id)) = line.split_once("ready ") {
                    let _ = ready_tx.send(id.to_owned());
                }
                lines.push(line);
            }
            lines
        });
        // The random delay starts once the child has opened the store, so a slow machine
        // cannot turn the round into a kill before anything happened.
        let ready = ready_rx.recv_timeout(ROUND_TIMEOUT);
        let delay = KILL_AFTER_MS.0 + next(&mut seed) % (KILL_AFTER_MS.1 - KILL_AFTER_MS.0);
        if ready.is_ok() {
            std::thread::sleep(Duration::from_millis(delay));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        let run_id =
            ready.unwrap_or_else(|_| panic!("round {round}: child never got ready: {lines:?}"));
        for line in &lines {
            // A line cut by the kill has no trailing id; `lines()` still returns it whole
            // only if the newline was written, so every line here was acknowledged.
            if let Some(id) = line.strip_prefix("P ") {
                acked_predictions.insert(id.to_owned());
            } else if let Some(id) = line.strip_prefix("O ") {
                acked_outcomes.insert(id.to_owned());
            }
        }

        let store = Arc::new(Store::open(&data, options()).unwrap());
        let report = store.open_report().clone();
        if report.predictions_dropped_bytes > 0 || report.outcomes_dropped_bytes > 0 {
            torn_tails += 1;
        }
        let runner = PipelineRunner::new(Arc::clone(&store)).unwrap();
        let status = runner.status().unwrap();
        assert!(
            !matches!(status.state, PipelineState::Running { .. }),
            "round {round}: pipeline stuck Running"
        );
        let last = status.runs.last().expect("the interrupted run is recorded");
        assert_eq!(last.run_id, run_id);
        assert_eq!(last.last_stage, Some(Stage::LoadingData));
        drop(runner);
        let (predictions, outcomes) = ids_in_log(&store);
        for id in &acked_predictions {
            assert_eq!(
                predictions.get(id),
                Some(&1),
                "round {round}: prediction {id}"
            );
        }
        for id in &acked_outcomes {
            assert_eq!(outcomes.get(id), Some(&1), "round {round}: outcome {id}");
        }
        assert!(
            predictions.values().all(|&n| n == 1),
            "duplicate prediction row"
        );
    }
    println!(
        "{ROUNDS} rounds, {} acknowledged predictions and {} outcomes all present once; \
         {torn_tails} rounds left a torn tail that reopening cut back",
        acked_predictions.len(),
        acked_outcomes.len()
    );
    assert!(
        acked_predictions.len() > ROUNDS as usize,
        "the child appended too little to test anything"
    );
}
