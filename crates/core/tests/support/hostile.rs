//! Hostile-input checks shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and
//! their proptest equivalents (`tests/hostile_input.rs`), so that the short CI run and
//! the long fuzzing run hold the readers to the same promises:
//!
//! - no panic and no allocation beyond a small multiple of the input, whatever the bytes;
//! - every error names the file it is about;
//! - a log that opens is left as a whole-line prefix of what was there, and a row
//!   appended after the repair reads back exactly;
//! - a request that validates scores to a probability in [0, 1].
//!
//! Each `check_*` function panics (with the reason) when a promise is broken; a fuzzer
//! reports that panic as a finding.

#![allow(dead_code)]

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use scorewatch_core::views::{OutcomesRequest, PredictRequest, RunPipelineRequest};
use scorewatch_core::{
    CURRENT_FILE, CurrentWindow, DataLayout, DriftOptions, FeatureReference, FileOutcomeLog,
    FilePredictionLog, FsyncPolicy, MODEL_FILE, Model, ModelRegistry, ModelStore, ModelVersion,
    OutcomeLog, OutcomeRecord, PROFILE_FILE, PipelineRunner, PredictionLog, PredictionQuery,
    PredictionRecord, ReferenceProfile, RunRequest, Scenario, Store, StoreError, StoreOptions,
    TrainingSetName, compute_report, write_sample_csv,
};

/// Largest input the checks accept; fuzzers are run with `-max_len` at or below it.
pub const MAX_INPUT: usize = 256 * 1024;

/// A scratch directory per thread, reused across inputs (creating one per input would
/// make the file system, not the readers, the bottleneck).
fn scratch() -> PathBuf {
    thread_local! {
        static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
    }
    DIR.with(|dir| {
        dir.borrow_mut()
            .get_or_insert_with(|| {
                // The repair fsyncs; on tmpfs that costs nothing, so prefer /dev/shm.
                tempfile::tempdir_in("/dev/shm")
                    .or_else(|_| tempfile::tempdir())
                    .expect("create scratch directory")
            })
            .path()
            .to_owned()
    })
}

/// A data directory in the scratch directory; the checks reach its files through the
/// layout, as the store does, so that they look where the store writes.
fn scratch_layout(name: &str) -> DataLayout {
    DataLayout::new(scratch().join(name))
}

/// Fails when a file is left in the directory where the store stages its atomic writes:
/// a write that failed or was refused must take its temporary file with it. The
/// directory must exist (the check creates it, the store's open too), so that a wrong
/// path fails here instead of passing as "empty".
fn assert_nothing_staged(layout: &DataLayout) {
    let tmp = layout.tmp_dir();
    let left: Vec<PathBuf> = std::fs::read_dir(&tmp)
        .unwrap_or_else(|e| panic!("{}: {e}", tmp.display()))
        .map(|entry| entry.expect("staging directory entry").path())
        .collect();
    assert!(left.is_empty(), "files left in {}: {left:?}", tmp.display());
}

/// Checks that the error or one of its causes names `path`'s file.
fn assert_names(err: &dyn std::error::Error, path: &Path) {
    let message = scorewatch_core::error_chain(err);
    let name = path.file_name().expect("file name").to_string_lossy();
    assert!(
        message.contains(name.as_ref()),
        "error does not name {name}: {message}"
    );
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("fixed instant")
}

/// The CSV log readers: open (header check and torn-tail repair), newest first, forward
/// scan, then an append after the repair that must read back exactly.
pub fn check_csv_log(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let layout = scratch_layout("logs");
    let tmp = layout.tmp_dir();
    std::fs::create_dir_all(&tmp).expect("create tmp");

    let path = layout.predictions_log();
    std::fs::write(&path, bytes).expect("write input");
    match FilePredictionLog::open(&path, &tmp, FsyncPolicy::Never) {
        Err(err) => {
            assert_names(&err, &path);
            let after = std::fs::read(&path).expect("read back");
            assert_eq!(after, bytes, "a refused log was modified");
        }
        Ok((log, report)) => {
            assert_repaired_prefix(&path, bytes, report.dropped_bytes);
            let mut query = PredictionQuery::newest(64);
            names_on_error(log.recent(&query).map(drop), &path);
            query.offset = 3;
            query.model_version = Some("v1".to_owned());
            query.since = Some(now());
            names_on_error(log.recent(&query).map(drop), &path);
            let mut seen = 0usize;
            names_on_error(
                log.scan(&mut |_| {
                    seen += 1;
                    Ok(if seen >= 10_000 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    })
                }),
                &path,
            );
            let features = log.feature_names().expect("feature names");
            let record = PredictionRecord {
                prediction_id: "fuzz-appended".to_owned(),
                timestamp: now(),
                model_version: "v1".to_owned(),
                score: 0.25,
                decision: 0,
                features: features.iter().map(|_| Some("1".to_owned())).collect(),
            };
            log.append(&features, std::slice::from_ref(&record))
                .expect("append after repair");
            let newest = log
                .recent(&PredictionQuery::newest(1))
                .expect("read the appended row");
            assert_eq!(newest, vec![record], "appended row did not read back");
        }
    }

    let path = layout.outcomes_log();
    std::fs::write(&path, bytes).expect("write input");
    match FileOutcomeLog::open(&path, FsyncPolicy::Never) {
        Err(err) => {
            assert_names(&err, &path);
            assert_eq!(std::fs::read(&path).expect("read back"), bytes);
        }
        Ok((log, report)) => {
            assert_repaired_prefix(&path, bytes, report.dropped_bytes);
            names_on_error(log.recent(64).map(drop), &path);
            names_on_error(log.scan(&mut |_| Ok(ControlFlow::Continue(()))), &path);
            let record = OutcomeRecord {
                prediction_id: "fuzz-appended".to_owned(),
                timestamp: now(),
                actual: 1,
            };
            log.append(std::slice::from_ref(&record))
                .expect("append after repair");
            assert_eq!(log.recent(1).expect("read back"), vec![record]);
        }
    }
    assert_nothing_staged(&layout);
}

fn names_on_error(result: Result<(), StoreError>, path: &Path) {
    if let Err(err) = result {
        assert_names(&err, path);
    }
}

/// After a successful open the file is the input cut back to a line boundary.
fn assert_repaired_prefix(path: &Path, input: &[u8], dropped: u64) {
    let after = std::fs::read(path).expect("read back");
    let kept = input.len() - usize::try_from(dropped).expect("small");
    assert_eq!(
        after,
        &input[..kept],
        "repair changed more than the torn tail"
    );
    assert_eq!(
        after.last(),
        Some(&b'\n'),
        "repaired log does not end a line"
    );
}

/// The store's JSON documents: `input[0]` picks which of the three files gets the rest;
/// then the store opens as the server opens it (with the pipeline runner's recovery of
/// an interrupted run) and reads every document.
pub fn check_json_documents(input: &[u8]) {
    let Some((&selector, bytes)) = input.split_first() else {
        return;
    };
    if bytes.len() > MAX_INPUT {
        return;
    }
    let layout = scratch_layout("data");
    let root = layout.root().to_owned();
    if !root.exists() {
        drop(Store::open(&root, StoreOptions::default()).expect("initial open"));
    }
    let targets = [
        layout.model_metrics(),
        layout.drift_reports(),
        layout.pipeline_status(),
    ];
    let target = &targets[usize::from(selector) % targets.len()];
    let originals: Vec<Vec<u8>> = targets
        .iter()
        .map(|p| std::fs::read(p).expect("read document"))
        .collect();
    std::fs::write(target, bytes).expect("write input");
    let options = StoreOptions {
        fsync: FsyncPolicy::Never,
        ..StoreOptions::default()
    };
    match Store::open(&root, options) {
        Err(err) => {
            assert_names(&err, target);
            assert_eq!(std::fs::read(target).expect("read back"), bytes);
        }
        Ok(store) => {
            let store = Arc::new(store);
            store.metrics().history().expect("history in memory");
            store.metrics().latest().expect("latest in memory");
            store.drift_reports().latest().expect("latest report");
            store.drift_reports().summaries().expect("summaries");
            store.drift_reports().get("x").expect("get by id");
            match PipelineRunner::new(Arc::clone(&store)) {
                Ok(runner) => drop(runner.status().expect("status after recovery")),
                Err(err) => {
                    // An illegal state in the file is refused with the file named.
                    assert_names(&err, target);
                }
            }
        }
    }
    assert_nothing_staged(&layout);
    for (path, original) in targets.iter().zip(originals) {
        std::fs::write(path, original).expect("restore document");
    }
}

/// `model.json` and `reference_profile.json`: `input[0]` picks the file. A model that
/// loads must validate and score an application without panicking; a profile that
/// parses must take a drift computation against a window drawn from its own values.
pub fn check_model_files(input: &[u8]) {
    let Some((&selector, bytes)) = input.split_first() else {
        return;
    };
    if bytes.len() > MAX_INPUT {
        return;
    }
    if selector % 2 == 0 {
        let layout = scratch_layout("registry");
        let version: ModelVersion = "v1".parse().expect("valid version");
        let dir = layout.model_dir(version.as_str());
        std::fs::create_dir_all(&dir).expect("create version directory");
        std::fs::write(layout.models_dir().join(CURRENT_FILE), "v1\n").expect("write pointer");
        let path = dir.join(MODEL_FILE);
        std::fs::write(&path, bytes).expect("write input");
        let registry = ModelRegistry::new(layout.models_dir(), layout.tmp_dir());
        match registry.load(&version) {
            Err(err) => assert_names(&err, &path),
            Ok(model) => {
                assert_validated(&model);
                for application in applications() {
                    if let Ok(values) = model.validate(application) {
                        let _ = model.score(&values);
                    }
                }
            }
        }
    } else {
        let Ok(profile) = serde_json::from_slice::<ReferenceProfile>(bytes) else {
            return;
        };
        let mut sample = CurrentWindow::new(&profile);
        let cells: Vec<String> = profile
            .features
            .iter()
            .map(|f| match &f.reference {
                FeatureReference::Numeric(p) => p
                    .sorted_values
                    .first()
                    .map_or_else(String::new, ToString::to_string),
                FeatureReference::Categorical(p) => {
                    p.categories.first().cloned().unwrap_or_default()
                }
            })
            .collect();
        let row: Vec<Option<&str>> = cells.iter().map(|c| Some(c.as_str())).collect();
        for score in [Some(0.1), Some(0.9), None] {
            let _ = sample.push_row(&row, score);
        }
        if let Ok(report) = compute_report(&profile, &sample, &DriftOptions::default()) {
            let _ = serde_json::to_vec(&report);
        }
        let _ = PROFILE_FILE;
    }
}

/// A model that loaded has validated (issue 13): one finite weight per design-matrix
/// column, and an application with every value missing (the one every model can score)
/// gets a probability in [0, 1].
fn assert_validated(model: &Model) {
    let artifact = model.artifact();
    if let Err(err) = artifact.validate() {
        panic!("a loaded model does not validate: {err}");
    }
    assert_eq!(
        artifact.coefficients.weights.len(),
        artifact.preprocessing.width(),
        "a loaded model's weights do not fit its design matrix"
    );
    assert!(
        artifact.coefficients.weights.iter().all(|w| w.is_finite()),
        "a loaded model has a non-finite weight"
    );
    let missing = vec![None; artifact.schema.features.len()];
    let score = model.score(&missing);
    assert!(
        (0.0..=1.0).contains(&score),
        "a loaded model scores an all-missing application {score}"
    );
}

/// Request bodies as the API decodes them, then the model's validation and scoring.
pub fn check_request_body(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let model = model();
    if let Ok(request) = serde_json::from_slice::<PredictRequest>(bytes) {
        let maps = match request {
            PredictRequest::One { features } => vec![features],
            PredictRequest::Batch { instances } => instances,
        };
        for features in maps.into_iter().take(1_000) {
            let object: serde_json::Map<String, serde_json::Value> = features.into_iter().collect();
            check_application(model, &object);
        }
    }
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(bytes) {
        check_application(model, &object);
    }
    if let Ok(request) = serde_json::from_slice::<OutcomesRequest>(bytes) {
        let items = match request {
            OutcomesRequest::One(item) => vec![item],
            OutcomesRequest::Batch { outcomes } => outcomes,
        };
        for item in items {
            let _ = item.actual <= 1;
        }
    }
    if let Ok(request) = serde_json::from_slice::<RunPipelineRequest>(bytes)
        && let Some(name) = request.training_file
        && let Ok(name) = TrainingSetName::parse(&name)
    {
        let training = Path::new("/data/training");
        let path = training.join(name.as_str());
        assert_eq!(
            path.parent(),
            Some(training),
            "training file {name:?} leaves data/training/"
        );
    }
}

/// What the API does with one application: validate, then score; an accepted
/// application must get a probability the prediction log accepts.
fn check_application(model: &Model, object: &serde_json::Map<String, serde_json::Value>) {
    if let Ok(values) = model.validate(object) {
        assert_eq!(values.len(), model.artifact().schema.features.len());
        let score = model.score(&values);
        assert!(
            (0.0..=1.0).contains(&score),
            "validated application scored {score}: {object:?}"
        );
    }
}

/// A model trained once per process on the sample generator's data.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let seeds = seed_files();
        let artifact = serde_json::from_slice(&seeds.model).expect("seed model parses");
        Model::new(artifact).expect("seed model validates")
    })
}

/// Applications drawn from the sample generator, as JSON objects.
fn applications() -> &'static [serde_json::Map<String, serde_json::Value>] {
    static APPS: OnceLock<Vec<serde_json::Map<String, serde_json::Value>>> = OnceLock::new();
    APPS.get_or_init(|| {
        seed_files()
            .requests
            .iter()
            .filter_map(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
            .filter_map(|v| v.get("features").and_then(|f| f.as_object().cloned()))
            .collect()
    })
}

/// Real files of every kind the checks read, produced by the store, the pipeline and
/// the drift engine themselves: the seeds of the fuzz corpora and of the proptest
/// mutations.
#[derive(Debug)]
pub struct SeedFiles {
    /// `predictions_log.csv` with rows (one feature value quoted).
    pub predictions_log: Vec<u8>,
    /// `outcomes_log.csv` with rows.
    pub outcomes_log: Vec<u8>,
    /// `model_metrics.json` after a pipeline run.
    pub metrics: Vec<u8>,
    /// `drift_reports.json` with one report.
    pub drift_reports: Vec<u8>,
    /// `pipeline_status.json` after a run.
    pub pipeline_status: Vec<u8>,
    /// `pipeline_status.json` left Running by a killed process.
    pub pipeline_running: Vec<u8>,
    /// `model.json`.
    pub model: Vec<u8>,
    /// `reference_profile.json`.
    pub profile: Vec<u8>,
    /// `POST /predict` bodies: single applications and one batch.
    pub requests: Vec<Vec<u8>>,
}

/// Builds the seed files once per process (a pipeline run on 400 generated rows).
pub fn seed_files() -> &'static SeedFiles {
    static SEEDS: OnceLock<SeedFiles> = OnceLock::new();
    SEEDS.get_or_init(build_seed_files)
}

#[allow(
    clippy::too_many_lines,
    reason = "one scenario: a store, a pipeline run and a drift report"
)]
fn build_seed_files() -> SeedFiles {
    let dir = tempfile::tempdir().expect("seed directory");
    let root = dir.path().join("data");
    let options = StoreOptions {
        fsync: FsyncPolicy::Never,
        ..StoreOptions::default()
    };
    let store = Arc::new(Store::open(&root, options).expect("open seed store"));
    let layout = store.layout().clone();
    std::fs::create_dir_all(layout.training_dir()).expect("training dir");
    let mut csv = Vec::new();
    write_sample_csv(&mut csv, 400, 11, Scenario::Baseline).expect("sample");
    std::fs::write(
        layout
            .training_dir()
            .join(scorewatch_core::DEFAULT_TRAINING_FILE),
        &csv,
    )
    .expect("write training file");
    let runner = PipelineRunner::new(Arc::clone(&store)).expect("runner");
    let report = runner
        .run(&RunRequest::default(), &|_, _| {})
        .expect("pipeline run");
    let artifact = report.model.expect("a model");
    let version_dir = ModelRegistry::for_layout(store.layout()).version_dir(&artifact.version);
    let model_bytes = std::fs::read(version_dir.join(MODEL_FILE)).expect("model.json");
    let profile_bytes = std::fs::read(version_dir.join(PROFILE_FILE)).expect("profile");
    let model = Model::new(artifact.clone()).expect("a trained model validates");
    let names: Vec<String> = model
        .artifact()
        .schema
        .features
        .iter()
        .map(|f| f.name.clone())
        .collect();

    // Applications: the training rows as JSON, without the target.
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().expect("header").clone();
    let mut requests = Vec::new();
    let mut records = Vec::new();
    for (i, row) in reader.records().take(40).enumerate() {
        let row = row.expect("row");
        let mut features = serde_json::Map::new();
        let mut cells = Vec::new();
        for spec in &model.artifact().schema.features {
            let at = header.iter().position(|h| h == spec.name).expect("column");
            let cell = &row[at];
            let value = if cell.is_empty() {
                serde_json::Value::Null
            } else if let Ok(x) = cell.parse::<f64>() {
                serde_json::json!(x)
            } else {
                serde_json::Value::String(cell.to_owned())
            };
            cells.push((!cell.is_empty()).then(|| {
                if i == 0 {
                    // One quoted field so that the seed log exercises the CSV parser.
                    format!("{cell}, \"quoted\"")
                } else {
                    cell.to_owned()
                }
            }));
            features.insert(spec.name.clone(), value);
        }
        let values = model.validate(&features).expect("training row validates");
        let score = model.score(&values);
        records.push(PredictionRecord {
            prediction_id: format!("seed-{i}"),
            timestamp: now(),
            model_version: artifact.version.to_string(),
            score,
            decision: u8::from(score >= model.threshold()),
            features: cells,
        });
        if i < 8 {
            requests.push(
                serde_json::to_vec(&serde_json::json!({ "features": features }))
                    .expect("encode request"),
            );
        }
    }
    let batch: Vec<serde_json::Value> = applications_from(&requests);
    requests.push(serde_json::to_vec(&serde_json::json!({ "instances": batch })).expect("batch"));
    requests.push(br#"{"prediction_id":"seed-1","actual":1}"#.to_vec());
    requests.push(br#"{"outcomes":[{"prediction_id":"seed-1","actual":0}]}"#.to_vec());
    requests.push(br#"{"training_file":"applications.csv","force":true}"#.to_vec());

    store
        .predictions()
        .append(&names, &records)
        .expect("append predictions");
    let outcomes: Vec<OutcomeRecord> = records
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, r)| OutcomeRecord {
            prediction_id: r.prediction_id.clone(),
            timestamp: now(),
            actual: u8::try_from(i % 2).expect("0 or 1"),
        })
        .collect();
    store.outcomes().append(&outcomes).expect("append outcomes");

    let profile: ReferenceProfile = serde_json::from_slice(&profile_bytes).expect("profile");
    let mut sample = CurrentWindow::new(&profile);
    for record in &records {
        let cells: Vec<Option<&str>> = record
            .features
            .iter()
            .map(|c| c.as_deref().map(|c| c.split(',').next().unwrap_or(c)))
            .collect();
        sample
            .push_row(&cells, Some(record.score))
            .expect("window row");
    }
    let drift = compute_report(&profile, &sample, &DriftOptions::default()).expect("drift");
    store
        .drift_reports()
        .save(drift)
        .expect("save drift report");

    let read = |p: PathBuf| std::fs::read(p).expect("read seed file");
    let pipeline_status = read(layout.pipeline_status());
    let mut running: serde_json::Value =
        serde_json::from_slice(&pipeline_status).expect("status json");
    running["state"] = serde_json::json!({
        "state": "running", "run_id": "r-killed", "stage": "training", "progress": 0.5,
        "started_at": "2026-01-01T00:00:00Z"
    });
    SeedFiles {
        predictions_log: read(layout.predictions_log()),
        outcomes_log: read(layout.outcomes_log()),
        metrics: read(layout.model_metrics()),
        drift_reports: read(layout.drift_reports()),
        pipeline_status,
        pipeline_running: serde_json::to_vec_pretty(&running).expect("encode"),
        model: model_bytes,
        profile: shrink_profile(&profile),
        requests,
    }
}

fn applications_from(requests: &[Vec<u8>]) -> Vec<serde_json::Value> {
    requests
        .iter()
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(r).ok())
        .filter_map(|v| v.get("features").cloned())
        .collect()
}

/// The profile with every numeric reference cut to a few values, so the seed stays small
/// enough for the fuzzer to mutate quickly (the full one holds every training value);
/// the bin counts are recounted so that the profile stays consistent.
fn shrink_profile(profile: &ReferenceProfile) -> Vec<u8> {
    let mut small = profile.clone();
    for feature in &mut small.features {
        if let FeatureReference::Numeric(p) = &mut feature.reference {
            let step = (p.sorted_values.len() / 12).max(1);
            p.sorted_values = p.sorted_values.iter().step_by(step).copied().collect();
            // Counts that fit the kept values: a valid profile, as the server requires.
            p.bin_counts = scorewatch_core::count_sorted(&p.edges, &p.sorted_values);
        }
    }
    if let Some(score) = &mut small.score {
        let step = (score.sorted_values.len() / 12).max(1);
        score.sorted_values = score.sorted_values.iter().step_by(step).copied().collect();
        score.bin_counts = scorewatch_core::count_sorted(&score.edges, &score.sorted_values);
    }
    serde_json::to_vec_pretty(&small).expect("encode profile")
}
