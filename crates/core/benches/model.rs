//! Model benchmarks: training on 100k generated applications, scoring one, and checking
//! one's data quality against the reference profile.
//!
//! Run: `cargo bench -p scorewatch-core --bench model`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use scorewatch_core::{
    Dataset, DatasetColumn as Column, FeatureValue, Model, QualityChecker, Scenario, TargetSpec,
    TrainConfig, parse_csv, split_indices, train_model, write_sample_csv,
};

fn sample(rows: usize) -> Dataset {
    let mut bytes = Vec::new();
    write_sample_csv(&mut bytes, rows, 42, Scenario::Baseline).expect("sample");
    parse_csv(
        Path::new("bench.csv"),
        &bytes,
        &TargetSpec::default(),
        None,
        &[],
    )
    .expect("parse")
}

fn bench_training(c: &mut Criterion) {
    let data = sample(125_000);
    let (train_idx, valid_idx) = split_indices(data.len(), 0.2, 1);
    let train = data.select(&train_idx);
    let valid = data.select(&valid_idx);
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    group.bench_function("train_100k_rows", |b| {
        b.iter(|| {
            train_model(
                black_box(&train),
                &valid,
                Vec::new(),
                &TrainConfig::default(),
                &|| false,
            )
            .expect("train")
        });
    });
    group.finish();
}

fn bench_scoring(c: &mut Criterion) {
    let data = sample(5_000);
    let (train_idx, valid_idx) = split_indices(data.len(), 0.2, 1);
    let train = data.select(&train_idx);
    let artifact = train_model(
        &train,
        &data.select(&valid_idx),
        Vec::new(),
        &TrainConfig::default(),
        &|| false,
    )
    .expect("train");
    let model = Model::new(artifact).expect("a trained model is valid");
    let row: Vec<Option<FeatureValue>> = data
        .columns
        .iter()
        .map(|c| match c {
            Column::Numeric(v) => v[0].map(FeatureValue::Number),
            Column::Categorical(v) => v[0].clone().map(FeatureValue::Category),
        })
        .collect();
    c.bench_function("model/score_one_application", |b| {
        b.iter(|| model.score(black_box(&row)));
    });
    let json = serde_json::json!({
        "age": 40, "monthly_income": 3200.5, "debt_to_income": 0.3,
        "credit_history_months": 100, "open_accounts": 3, "recent_delinquencies": 0,
        "loan_amount": 9000, "term_months": 36, "utilization": 0.2,
        "employment_type": "salaried", "home_ownership": "rent", "loan_purpose": "car"
    });
    let fields = json.as_object().expect("object").clone();
    c.bench_function("model/validate_and_score_json", |b| {
        b.iter(|| model.score(&model.validate(black_box(&fields)).expect("valid")));
    });
    // What `/predict` adds per application: the check of a clean one (the common case,
    // no issue, so no callback and no allocation).
    let profile = train.reference_profile(&[]);
    let checker = QualityChecker::new(&profile, model.artifact().schema.names());
    let values = model.validate(&fields).expect("valid");
    assert_eq!(
        checker.check(&values, |_, _| {}),
        0,
        "the bench application is clean"
    );
    c.bench_function("quality/check_one_application", |b| {
        b.iter(|| checker.check(black_box(&values), |_, _| {}));
    });
}

criterion_group!(benches, bench_training, bench_scoring);
criterion_main!(benches);
