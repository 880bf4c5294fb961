//! `scorewatch report` in-process: the file it writes, and its errors (which leave the
//! output file as it was).

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use scorewatch_api::cli::{Cli, run};
use scorewatch_core::{PredictionRecord, Scenario, Store, StoreOptions, write_sample_csv};

fn scorewatch(args: &[&str]) -> anyhow::Result<ExitCode> {
    let mut argv = vec!["scorewatch"];
    argv.extend_from_slice(args);
    run(Cli::try_parse_from(argv)?)
}

/// A data directory with a trained model and `rows` predictions of it.
fn trained(dir: &Path, rows: usize) -> (String, String) {
    let data_dir = dir.join("data");
    let training = dir.join("training.csv");
    let file = std::fs::File::create(&training).expect("create");
    write_sample_csv(file, 1_500, 3, Scenario::Baseline).expect("sample");
    let data = data_dir.to_str().expect("utf-8").to_owned();
    let code = scorewatch(&[
        "--data-dir",
        &data,
        "train",
        "--data",
        training.to_str().expect("utf-8"),
    ])
    .expect("train runs");
    assert_eq!(code, ExitCode::SUCCESS);

    let store = Store::open(&data_dir, StoreOptions::default()).expect("open");
    let model = store
        .models()
        .load_current()
        .expect("load")
        .expect("a model");
    let version = model.artifact().version.to_string();
    let features: Vec<String> = model.artifact().schema.names().map(str::to_owned).collect();
    let mut current = Vec::new();
    write_sample_csv(&mut current, rows, 4, Scenario::IncomeShift).expect("sample");
    let mut reader = csv::Reader::from_reader(current.as_slice());
    let header = reader.headers().expect("header").clone();
    let records: Vec<PredictionRecord> = reader
        .records()
        .enumerate()
        .map(|(i, row)| {
            let row = row.expect("row");
            PredictionRecord {
                prediction_id: uuid::Uuid::now_v7().to_string(),
                timestamp: time::OffsetDateTime::now_utc(),
                model_version: version.clone(),
                score: (i % 100) as f64 / 100.0,
                decision: 0,
                features: features
                    .iter()
                    .map(|f| {
                        let cell = &row[header.iter().position(|h| h == f).expect("column")];
                        Some(cell.to_owned()).filter(|c| !c.is_empty())
                    })
                    .collect(),
            }
        })
        .collect();
    store
        .predictions()
        .append(&features, &records)
        .expect("append");
    (data, version)
}

#[test]
fn writes_one_self_contained_page_and_replaces_an_old_one() {
    let dir = tempfile::tempdir().expect("dir");
    let (data, version) = trained(dir.path(), 400);
    let out = dir.path().join("out").join("report.html");
    std::fs::create_dir(out.parent().expect("parent")).expect("mkdir");
    std::fs::write(&out, "old").expect("old file");

    let code = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out.to_str().expect("utf-8"),
    ])
    .expect("report runs");

    assert_eq!(code, ExitCode::SUCCESS);
    let html = std::fs::read_to_string(&out).expect("page");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!("scorewatch report: model {version}")));
    assert!(
        html.contains("data-rows=\"400\""),
        "every prediction is in the window"
    );
    assert!(html.contains("<section id=\"drift\">"));
    // Nothing but the page is left beside it (the temporary file was renamed).
    let names: Vec<_> = std::fs::read_dir(out.parent().expect("parent"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["report.html"]);

    // --segment-by adds the segments table over the same window.
    scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--segment-by",
        "employment_type",
        "--min-segment-rows",
        "20",
    ])
    .expect("report runs");
    let html = std::fs::read_to_string(&out).expect("page");
    assert!(
        html.contains("<section id=\"segments\" data-column=\"employment_type\">"),
        "{html}"
    );
    assert!(html.contains("<table id=\"segment-metrics\">"));
    assert!(html.contains("fewer than 20 rows"));

    // --rows and --until narrow the window.
    scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--rows",
        "50",
    ])
    .expect("report runs");
    assert!(
        std::fs::read_to_string(&out)
            .expect("page")
            .contains("data-rows=\"50\"")
    );
    scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--until",
        "2000-01-01T00:00:00Z",
    ])
    .expect("report runs");
    assert!(
        std::fs::read_to_string(&out)
            .expect("page")
            .contains("This window holds no predictions of model")
    );
}

#[test]
fn errors_name_what_is_wrong_and_leave_the_file_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let (data, version) = trained(dir.path(), 10);
    let out = dir.path().join("report.html");
    std::fs::write(&out, "old").expect("old file");
    let out_arg = out.to_str().expect("utf-8");

    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out_arg,
        "--model-version",
        "20200101-000000-abcdef",
    ])
    .expect_err("unknown version");
    assert_eq!(
        format!("{err:#}"),
        format!("no published model has version '20200101-000000-abcdef' (published: {version})")
    );

    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out_arg,
        "--since",
        "2026-02-01T00:00:00Z",
        "--until",
        "2026-01-01T00:00:00Z",
    ])
    .expect_err("since after until");
    assert_eq!(err.to_string(), "--since must not be after --until");

    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out_arg,
        "--rows",
        "0",
    ])
    .expect_err("no rows");
    assert!(
        err.to_string().starts_with("--rows must be between 1 and"),
        "{err}"
    );

    let missing = dir.path().join("nope").join("r.html");
    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        missing.to_str().expect("utf-8"),
    ])
    .expect_err("missing directory");
    assert!(err.to_string().contains("does not exist"), "{err}");

    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out_arg,
        "--since",
        "monday",
    ])
    .expect_err("bad instant");
    assert!(
        err.to_string()
            .contains("'monday' is not an RFC 3339 instant"),
        "{err}"
    );

    let nowhere = dir.path().join("no-data");
    let err = scorewatch(&[
        "--data-dir",
        nowhere.to_str().expect("utf-8"),
        "report",
        "--out",
        out_arg,
    ])
    .expect_err("no data directory");
    assert!(
        format!("{err:#}").contains("cannot open the data directory"),
        "{err:#}"
    );
    assert!(!nowhere.exists(), "a report creates no data directory");

    assert_eq!(std::fs::read_to_string(&out).expect("file"), "old");
}

#[test]
fn an_unknown_segment_column_is_an_error_listing_the_features() {
    let dir = tempfile::tempdir().expect("dir");
    let (data, _) = trained(dir.path(), 10);
    let out = dir.path().join("report.html");
    std::fs::write(&out, "old").expect("old file");
    let err = scorewatch(&[
        "--data-dir",
        &data,
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--segment-by",
        "region",
    ])
    .expect_err("unknown segment column");
    let text = err.to_string();
    assert!(
        text.starts_with("--segment-by: unknown segment column 'region'; valid columns: age, ")
            && text.contains("employment_type"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&out).expect("file"), "old");
}
