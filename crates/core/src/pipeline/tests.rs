//! Runner tests on a temporary data directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::model::TargetSpec;
use crate::records::{MetricSource, PipelineState, RunOutcome, Stage};
use crate::sample::{Scenario, write_sample_csv};
use crate::store::{ModelStore, Store, StoreOptions, TrainingSetName};

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    runner: PipelineRunner,
}

fn open(root: &Path) -> PipelineRunner {
    let store = Store::open(root, StoreOptions::default()).unwrap();
    PipelineRunner::new(Arc::new(store)).unwrap()
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let runner = open(&root);
    let training = runner.store().layout().training_dir();
    std::fs::create_dir_all(&training).unwrap();
    let file = std::fs::File::create(training.join(DEFAULT_TRAINING_FILE)).unwrap();
    write_sample_csv(file, 2_000, 5, Scenario::Baseline).unwrap();
    Env {
        _dir: dir,
        root,
        runner,
    }
}

fn registry(env: &Env) -> &dyn ModelStore {
    env.runner.store().models()
}

fn no_progress(_: Stage, _: f64) {}

#[test]
fn successful_run_publishes_records_and_adds_metrics() {
    let env = env();
    let stages = std::sync::Mutex::new(Vec::new());
    let report = env
        .runner
        .run(&RunRequest::default(), &|stage, p| {
            stages.lock().unwrap().push((stage, p));
        })
        .unwrap();
    assert_eq!(report.record.outcome, RunOutcome::Promoted);
    let model = report.model.unwrap();
    // The calibration for estimates without outcomes, fitted on the validation split.
    let validation = model.validation_scores.as_ref().expect("validation scores");
    assert_eq!(validation.scores.len() as u64, model.validation_rows);
    assert_eq!(
        model.calibrator.as_ref().expect("a calibrator").check(),
        Ok(())
    );
    assert_eq!(
        registry(&env).current_version().unwrap(),
        Some(model.version.clone())
    );
    // The file backend keeps the version in data/models/<version>/.
    let dir = env.root.join("models").join(model.version.as_str());
    assert!(dir.join(crate::store::MODEL_FILE).is_file());
    assert!(dir.join(crate::store::PROFILE_FILE).is_file());
    let profile = registry(&env)
        .load_profile(&model.version)
        .unwrap()
        .unwrap();
    assert_eq!(profile.features.len(), 12);
    assert!(profile.score.is_some());

    let seen: Vec<Stage> = stages.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(seen.first(), Some(&Stage::LoadingData));
    assert!(seen.contains(&Stage::Profiling));
    assert_eq!(
        stages.lock().unwrap().last(),
        Some(&(Stage::Publishing, 1.0))
    );

    let status = env.runner.status().unwrap();
    assert!(matches!(status.state, PipelineState::Succeeded { .. }));
    assert_eq!(status.runs.len(), 1);
    let data = &status.runs[0].data;
    assert_eq!(data[0].name, DEFAULT_TRAINING_FILE);
    assert_eq!(data[0].rows, 2_000);
    assert_eq!(data[0].sha256.as_ref().map(String::len), Some(64));
    assert_eq!(model.data, *data);
    assert_eq!(status.runs[0].stage_seconds.len(), 6);

    let history = env.runner.store().metrics().history().unwrap();
    let sources: Vec<MetricSource> = history.iter().map(|e| e.source).collect();
    assert_eq!(sources, [MetricSource::Training, MetricSource::Validation]);
    assert_eq!(history[1].rows, Some(400));
    assert!(history.iter().all(|e| !e.rejected_candidate));
    // A promoted model's entries are written as before: no new key in the file.
    let text = std::fs::read_to_string(env.runner.store().layout().model_metrics()).unwrap();
    assert!(!text.contains("rejected_candidate"));
}

#[test]
fn restart_turns_a_running_state_into_interrupted() {
    let env = env();
    let run_id = env.runner.begin().unwrap();
    let root = env.root.clone();
    drop(env.runner);
    let runner = open(&root);
    let status = runner.status().unwrap();
    match &status.state {
        PipelineState::Failed {
            error, run_id: id, ..
        } => {
            assert_eq!(error, INTERRUPTED);
            assert_eq!(id, &run_id);
        }
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(status.runs.len(), 1);
    assert_eq!(status.runs[0].outcome, RunOutcome::Failed);
    // A new run can start after recovery.
    assert!(runner.begin().is_ok());
}

#[test]
fn only_one_run_at_a_time() {
    let env = env();
    let first = env.runner.begin().unwrap();
    let err = env
        .runner
        .run(&RunRequest::default(), &no_progress)
        .unwrap_err();
    assert!(
        matches!(&err, PipelineError::Transition(TransitionError::AlreadyRunning { run_id }) if *run_id == first),
        "{err}"
    );
    // The running run is untouched.
    assert!(matches!(
        env.runner.status().unwrap().state,
        PipelineState::Running { .. }
    ));
}

#[test]
fn background_runs_are_single_flight_too() {
    let env = env();
    let runner = Arc::new(env.runner);
    let id = runner.spawn(RunRequest::default()).unwrap();
    let second = runner.spawn(RunRequest::default());
    // Either the first is still running (second refused) or it already finished.
    if let Err(err) = second {
        assert!(err.to_string().contains(&id), "{err}");
    }
    for _ in 0..600 {
        if !matches!(
            runner.status().unwrap().state,
            PipelineState::Running { .. }
        ) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(matches!(
        runner.status().unwrap().state,
        PipelineState::Succeeded { .. }
    ));
}

#[test]
fn cancel_stops_the_run_and_keeps_the_current_model() {
    let env = env();
    let first = env
        .runner
        .run(&RunRequest::default(), &no_progress)
        .unwrap();
    let current = first.model.unwrap().version;
    let report = env
        .runner
        .run(&RunRequest::default(), &|stage, _| {
            if stage == Stage::Training {
                assert!(env.runner.cancel());
            }
        })
        .unwrap();
    assert_eq!(report.record.outcome, RunOutcome::Cancelled);
    assert_eq!(report.record.last_stage, Some(Stage::Training));
    assert!(matches!(
        env.runner.status().unwrap().state,
        PipelineState::Cancelled { .. }
    ));
    assert_eq!(registry(&env).current_version().unwrap(), Some(current));
    assert_eq!(registry(&env).versions().unwrap().len(), 1);
    assert!(!env.runner.cancel(), "nothing runs any more");
}

#[test]
fn a_cancel_with_a_reason_records_it_and_the_next_run_starts_without_it() {
    let env = env();
    let stop_at_training = |stage| {
        if stage == Stage::Training {
            assert!(env.runner.cancel_because("server shutting down"));
        }
    };
    let report = env
        .runner
        .run(&RunRequest::default(), &|stage, _| stop_at_training(stage))
        .unwrap();
    assert_eq!(report.record.outcome, RunOutcome::Cancelled);
    assert_eq!(report.record.error.as_deref(), Some("server shutting down"));
    let saved = env.runner.status().unwrap();
    assert_eq!(saved.runs.last(), Some(&report.record));

    let plain = env
        .runner
        .run(&RunRequest::default(), &|stage, _| {
            if stage == Stage::Training {
                assert!(env.runner.cancel());
            }
        })
        .unwrap();
    assert_eq!(plain.record.outcome, RunOutcome::Cancelled);
    assert_eq!(
        plain.record.error, None,
        "a reason never leaks into a later run"
    );
}

fn run_on(env: &Env, name: &str, content: &str) -> RunReport {
    let path = env.runner.store().layout().training_dir().join(name);
    std::fs::write(&path, content).unwrap();
    env.runner
        .run(
            &RunRequest {
                data: TrainingData::Named(name.to_owned()),
                ..RunRequest::default()
            },
            &no_progress,
        )
        .unwrap()
}

#[test]
fn failing_stage_records_its_error_and_keeps_the_current_model() {
    let env = env();
    let first = env
        .runner
        .run(&RunRequest::default(), &no_progress)
        .unwrap();
    let current = first.model.unwrap().version;
    let mut text = String::from("age,default\n");
    for i in 0..20 {
        text += if i % 2 == 0 { "30,0\n" } else { "40,1\n" };
    }
    text += "abc,1\n";
    let report = run_on(&env, "bad.csv", &text);
    assert_eq!(report.record.outcome, RunOutcome::Failed);
    assert_eq!(report.record.last_stage, Some(Stage::Validating));
    let error = report.record.error.unwrap();
    assert!(error.contains("bad.csv"), "{error}");
    let status = env.runner.status().unwrap();
    assert!(matches!(&status.state, PipelineState::Failed { error: e, .. } if *e == error));
    assert_eq!(registry(&env).current_version().unwrap(), Some(current));
    assert_eq!(registry(&env).versions().unwrap().len(), 1);
}

#[test]
fn bad_training_data_names_file_line_and_column_and_publishes_nothing() {
    let env = env();
    let mut numeric = String::from("age,default\n");
    for i in 0..30 {
        numeric += if i % 2 == 0 { "30,0\n" } else { "40,1\n" };
    }
    numeric += "forty,1\n";
    let cases = [
        (
            "no_target.csv",
            "age,income\n30,1\n".to_owned(),
            "line 1: target column 'default' is missing",
        ),
        (
            "one_class.csv",
            "age,default\n30,0\n31,0\n".to_owned(),
            "column 'default': every label is '0'",
        ),
        (
            "text.csv",
            numeric,
            "line 32, column 'age': 'forty' is not a number",
        ),
        ("empty.csv", String::new(), "the file is empty"),
    ];
    for (name, content, expected) in cases {
        let report = run_on(&env, name, &content);
        assert_eq!(report.record.outcome, RunOutcome::Failed, "{name}");
        let error = report.record.error.unwrap();
        assert!(error.contains(name), "{error}");
        assert!(error.contains(expected), "{name}: {error}");
    }
    assert_eq!(registry(&env).versions().unwrap(), Vec::new());
    assert_eq!(registry(&env).current_version().unwrap(), None);
    assert!(env.runner.store().metrics().history().unwrap().is_empty());
}

#[test]
fn training_file_names_cannot_leave_the_training_directory() {
    for bad in [
        "../secrets.csv",
        "/etc/passwd",
        "a/b.csv",
        "..",
        ".",
        "",
        "x\\..\\y",
        ".hidden",
    ] {
        assert!(TrainingSetName::parse(bad).is_err(), "{bad}");
    }
    let env = env();
    let report = env
        .runner
        .run(
            &RunRequest {
                data: TrainingData::Named("../monitoring/model_metrics.json".into()),
                ..RunRequest::default()
            },
            &no_progress,
        )
        .unwrap();
    assert_eq!(report.record.outcome, RunOutcome::Failed);
    assert!(
        report
            .record
            .error
            .unwrap()
            .contains("must be a plain file name")
    );
}

#[test]
fn worse_model_is_rejected_and_forced_one_promoted() {
    let env = env();
    let first = env
        .runner
        .run(&RunRequest::default(), &no_progress)
        .unwrap();
    let current = first.model.unwrap().version;
    // Shuffled labels: a much worse model.
    let mut text = String::from("x,default\n");
    for i in 0..400u32 {
        let row = format!("{},{}\n", i % 7, (i * 7919 % 11) % 2);
        text.push_str(&row);
    }
    let report = run_on(&env, "noise.csv", &text);
    assert_eq!(report.record.outcome, RunOutcome::Rejected);
    assert!(report.record.error.unwrap().contains("below current"));
    assert_eq!(
        registry(&env).current_version().unwrap(),
        Some(current.clone())
    );
    // The candidate's metrics are the newest entries, marked as a rejected candidate's;
    // the served model's stay unmarked.
    let rejected = report.model.unwrap().version.to_string();
    let history = env.runner.store().metrics().history().unwrap();
    let (candidate, served): (Vec<_>, Vec<_>) = history
        .iter()
        .partition(|e| e.model_version.as_deref() == Some(rejected.as_str()));
    assert_eq!(candidate.len(), 2);
    assert!(candidate.iter().all(|e| e.rejected_candidate));
    assert!(served.iter().all(|e| !e.rejected_candidate));
    assert_eq!(
        env.runner
            .store()
            .metrics()
            .latest()
            .unwrap()
            .unwrap()
            .model_version,
        Some(rejected)
    );
    let forced = env
        .runner
        .run(
            &RunRequest {
                data: TrainingData::Named("noise.csv".into()),
                policy: crate::model::PromotionPolicy {
                    force: true,
                    ..crate::model::PromotionPolicy::default()
                },
                target: TargetSpec::default(),
                ..RunRequest::default()
            },
            &no_progress,
        )
        .unwrap();
    assert_eq!(forced.record.outcome, RunOutcome::Promoted);
    let history = env.runner.store().metrics().history().unwrap();
    assert!(
        history[history.len() - 2..]
            .iter()
            .all(|e| !e.rejected_candidate)
    );
}

#[test]
fn labelled_production_rows_join_the_training_data_when_enough_exist() {
    let env = env();
    let store = env.runner.store();
    let features: Vec<String> = crate::sample::SAMPLE_COLUMNS[..12]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut csv = Vec::new();
    write_sample_csv(&mut csv, 80, 99, Scenario::Baseline).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let now = time::OffsetDateTime::now_utc();
    let mut predictions = Vec::new();
    let mut outcomes = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        let id = format!("p{i}");
        predictions.push(crate::records::PredictionRecord {
            prediction_id: id.clone(),
            timestamp: now,
            model_version: "v0".into(),
            score: 0.5,
            decision: 1,
            features: row
                .iter()
                .take(12)
                .map(|c| (!c.is_empty()).then(|| c.to_owned()))
                .collect(),
        });
        // Only 60 of the 80 predictions get an outcome.
        if i < 60 {
            outcomes.push(crate::records::OutcomeRecord {
                prediction_id: id,
                timestamp: now,
                actual: u8::from(&row[12] == "1"),
            });
        }
    }
    store.predictions().append(&features, &predictions).unwrap();
    store.outcomes().append(&outcomes).unwrap();

    let request = RunRequest {
        min_production_rows: 50,
        ..RunRequest::default()
    };
    let report = env.runner.run(&request, &no_progress).unwrap();
    let data = &report.record.data;
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[1].name, PRODUCTION_SOURCE);
    assert_eq!(data[1].rows, 60);
    let model = report.model.unwrap();
    assert_eq!(model.training_rows + model.validation_rows, 2_060);

    // Below the minimum, or turned off, the production rows are left out.
    for request in [
        RunRequest {
            min_production_rows: 61,
            ..RunRequest::default()
        },
        RunRequest {
            min_production_rows: 50,
            include_production: false,
            ..RunRequest::default()
        },
    ] {
        let report = env.runner.run(&request, &no_progress).unwrap();
        assert_eq!(report.record.data.len(), 1);
    }
}

#[test]
fn an_uploaded_set_is_checked_as_a_served_run_reads_it() {
    let name = TrainingSetName::parse("upload.csv").unwrap();
    let good = b"income,region,default\n1200,north,0\n800,south,1\n950,north,0\n";
    assert_eq!(check_training_set(&name, good).unwrap(), 3);

    let no_target = b"income,region,label\n1200,north,0\n800,south,1\n";
    let err = check_training_set(&name, no_target)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "upload.csv: line 1: target column 'default' is missing from the header"
    );

    let empty_label = b"income,default\n1200,0\n800,\n";
    let err = check_training_set(&name, empty_label)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "upload.csv: line 3, column 'default': the label is empty"
    );

    let ragged = b"income,default\n1200,0\n800,1,extra\n";
    let err = check_training_set(&name, ragged).unwrap_err().to_string();
    assert!(
        err.starts_with("upload.csv: line 3: malformed csv"),
        "{err}"
    );
}

/// Two runners on one store stand for two replicas on one database: the lease rules
/// are the same in every backend.
#[test]
fn a_second_runner_is_refused_while_the_lease_lives_and_interrupts_the_run_once_it_expires() {
    let env = env();
    let store = Arc::clone(env.runner.store());
    let lease = std::time::Duration::from_millis(200);
    let first = PipelineRunner::with_lease(Arc::clone(&store), lease).unwrap();
    let second = PipelineRunner::with_lease(store, lease).unwrap();
    // Begun but never executed: nobody renews the lease, as when its process died.
    let abandoned = first.begin().unwrap();
    let err = second.begin().unwrap_err();
    assert!(
        matches!(&err, PipelineError::Transition(TransitionError::AlreadyRunning { run_id }) if *run_id == abandoned),
        "{err}"
    );
    assert_eq!(
        second.recover_interrupted().unwrap(),
        None,
        "the lease lives"
    );

    std::thread::sleep(lease * 2);
    let next = second.begin().unwrap();
    let status = second.status().unwrap();
    assert!(matches!(&status.state, PipelineState::Running { run_id, .. } if *run_id == next));
    let record = status.runs.last().unwrap();
    assert_eq!(record.run_id, abandoned);
    assert_eq!(record.outcome, RunOutcome::Failed);
    assert_eq!(record.error.as_deref(), Some(INTERRUPTED));
}

#[test]
fn another_runner_on_the_store_can_cancel_the_run() {
    let env = env();
    let other = PipelineRunner::new(Arc::clone(env.runner.store())).unwrap();
    assert!(!other.cancel(), "nothing runs yet");
    let report = env
        .runner
        .run(&RunRequest::default(), &|stage, _| {
            if stage == Stage::Training {
                assert!(other.cancel_run().unwrap().is_some());
                // The run's lease renewal picks the request up within RUN_LEASE_RENEW;
                // the run waits here (in its own progress report) until it has.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
                while !env.runner.cancel_pending() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                // Only the run's own runner stops it for a shutdown.
                assert!(!other.cancel_because("server shutting down"));
            }
        })
        .unwrap();
    assert_eq!(report.record.outcome, RunOutcome::Cancelled);
    assert_eq!(report.record.error, None);
}

#[test]
fn a_run_whose_end_was_not_recorded_is_interrupted_by_its_own_runner_at_once() {
    let env = env();
    let run_id = env.runner.begin().unwrap();
    // As after a final status write the disk refused: the run thread is gone.
    env.runner.set_active(None);
    assert_eq!(env.runner.recover_interrupted().unwrap(), Some(run_id));
    assert!(matches!(
        env.runner.status().unwrap().state,
        PipelineState::Failed { .. }
    ));
}
