//! The HTML report over a 100k-row window: 12 features (3 categorical; `employment_type`
//! has 5 values in the baseline population plus a new one here), 50k outcomes, read from
//! the file store, gathered and rendered; then the same with the segments table by
//! `employment_type` (`scorewatch report --segment-by employment_type`), whose reference
//! is the model's 5,000-row training set, read and scored on each report.
//!
//! `cargo bench -p scorewatch-core --bench report`; figures in `docs/performance.md`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use scorewatch_core::{
    FsyncPolicy, OutcomeRecord, PipelineRunner, PredictionRecord, ReportRequest, Rng, RunRequest,
    Scenario, SegmentOptions, Store, StoreOptions, TrainingSetName, gather_report, render_html,
    write_sample_csv,
};
use time::{Duration, OffsetDateTime};

const ROWS: usize = 100_000;

/// A store with a model trained on 5,000 rows and `ROWS` predictions of a shifted
/// population, every other one with an outcome.
fn store(dir: &std::path::Path) -> Arc<Store> {
    let options = StoreOptions {
        fsync: FsyncPolicy::Never,
        ..StoreOptions::default()
    };
    let store = Arc::new(Store::open(dir, options).expect("open"));
    let mut training = Vec::new();
    write_sample_csv(&mut training, 5_000, 1, Scenario::Baseline).expect("sample");
    let name = TrainingSetName::parse("applications.csv").expect("name");
    store
        .training_sets()
        .write(&name, &training)
        .expect("write");
    let runner = PipelineRunner::new(Arc::clone(&store)).expect("runner");
    runner
        .run(&RunRequest::default(), &|_, _| {})
        .expect("train");
    let model = store.models().load_current().expect("load").expect("model");
    let version = model.artifact().version.to_string();
    let features: Vec<String> = model.artifact().schema.names().map(str::to_owned).collect();

    let mut current = Vec::new();
    write_sample_csv(&mut current, ROWS, 2, Scenario::NewSegment).expect("sample");
    let mut reader = csv::Reader::from_reader(current.as_slice());
    let header = reader.headers().expect("header").clone();
    let positions: Vec<usize> = features
        .iter()
        .map(|f| header.iter().position(|h| h == f).expect("column"))
        .collect();
    let start = OffsetDateTime::now_utc() - Duration::hours(24);
    let mut rng = Rng::new(3);
    let (mut predictions, mut outcomes) = (Vec::with_capacity(ROWS), Vec::new());
    for (i, row) in reader.records().enumerate() {
        let row = row.expect("row");
        let score = rng.uniform();
        let id = uuid::Uuid::now_v7().to_string();
        let timestamp = start + Duration::milliseconds(i64::try_from(i).expect("small") * 800);
        if i % 2 == 0 {
            outcomes.push(OutcomeRecord {
                prediction_id: id.clone(),
                timestamp,
                actual: u8::from(rng.bernoulli(score)),
            });
        }
        predictions.push(PredictionRecord {
            prediction_id: id,
            timestamp,
            model_version: version.clone(),
            score,
            decision: u8::from(score >= 0.5),
            features: positions
                .iter()
                .map(|&p| Some(row[p].to_owned()).filter(|c| !c.is_empty()))
                .collect(),
        });
    }
    store
        .predictions()
        .append(&features, &predictions)
        .expect("append");
    store.outcomes().append(&outcomes).expect("outcomes");
    store
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path());
    let request = ReportRequest {
        model_version: None,
        since: None,
        until: None,
        rows: ROWS,
        segment_by: None,
        segment_options: SegmentOptions::default(),
    };
    let segmented = ReportRequest {
        segment_by: Some("employment_type".to_owned()),
        ..request.clone()
    };
    let html = render_html(&gather_report(&store, &request).expect("report"));
    eprintln!("report over {ROWS} rows: {} bytes of HTML", html.len());
    let html = render_html(&gather_report(&store, &segmented).expect("report"));
    eprintln!(
        "report over {ROWS} rows with segments: {} bytes of HTML",
        html.len()
    );

    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("gather_and_render_100k", |b| {
        b.iter(|| render_html(&gather_report(&store, &request).expect("report")));
    });
    group.bench_function("gather_and_render_100k_segments", |b| {
        b.iter(|| render_html(&gather_report(&store, &segmented).expect("report")));
    });
    let data = gather_report(&store, &request).expect("report");
    group.bench_function("render_only", |b| b.iter(|| render_html(&data)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
