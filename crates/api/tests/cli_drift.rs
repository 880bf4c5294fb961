//! `scorewatch drift` end to end, in-process.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use clap::Parser;
use scorewatch_api::cli::drift::{build_report, build_segments, write_segments};
use scorewatch_api::cli::{Cli, Command, run};
use scorewatch_core::{FeatureKind, SegmentStatus};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write csv");
    path.display().to_string()
}

fn csv(rows: usize, shift: f64) -> String {
    let mut text = String::from("age,income,segment,score\n");
    for i in 0..rows {
        let segment = ["a", "b", "c"][i % 3];
        writeln!(
            text,
            "{},{},{segment},0.{}",
            i % 50,
            shift + (i % 97) as f64,
            i % 10
        )
        .expect("writing to a String cannot fail");
    }
    text
}

#[test]
fn json_report_has_every_feature_and_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(300, 0.0));
    let current = write(dir.path(), "cur.csv", &csv(200, 40.0));
    let cli = Cli::try_parse_from([
        "scorewatch",
        "drift",
        "--reference",
        &reference,
        "--current",
        &current,
        "--score-column",
        "score",
        "--categorical",
        "age",
        "--format",
        "json",
    ])
    .unwrap();
    // Other subcommands join `Command` later; this test only parses `drift`.
    #[allow(irrefutable_let_patterns)]
    let Command::Drift(args) = cli.command else {
        unreachable!("parsed a drift command line")
    };
    let report = build_report(&args).unwrap();
    let names: Vec<&str> = report.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["age", "income", "segment"]);
    assert_eq!(report.features[0].kind, FeatureKind::Categorical);
    assert!(report.features[1].drifted, "income moved by 40");
    assert!(!report.features[2].drifted, "segment is unchanged");
    assert_eq!(report.score.as_ref().map(|s| s.n_current), Some(200));
    let json = serde_json::to_value(&report).unwrap();
    for field in [
        "features",
        "score",
        "drifted_share",
        "dataset_drift",
        "verdict",
        "reference",
        "current",
    ] {
        assert!(json.get(field).is_some(), "{field}");
    }
    assert_eq!(json["features"][1]["ks"]["method"], "exact");
    // The current file's data quality (issue 16): income was 0..=96 in the reference;
    // shifted by 40, its values 97..=136 are outside that range: i % 97 in 57..=96, 40
    // rows in each of the two full cycles of 97 among the 200 rows.
    let quality = &json["data_quality"];
    assert_eq!(quality["rows"], 200);
    let income = &quality["features"][1];
    assert_eq!(income["name"], "income");
    assert_eq!(income["training_range"], serde_json::json!([0.0, 96.0]));
    assert_eq!(income["out_of_range"], 80);
    assert_eq!(income["out_of_range_share"], 0.4);
    assert_eq!(income["missing"], 0);
    assert_eq!(
        quality["features"][0]["unseen_category"], 0,
        "ages 0..50 all seen"
    );
    assert!(
        quality.get("from").is_none(),
        "a CSV file has no timestamps"
    );
    assert!(
        ["drifted", "stable"].contains(&json["verdict"]["status"].as_str().unwrap()),
        "{}",
        json["verdict"]
    );
}

#[test]
fn a_non_number_in_a_numeric_column_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(30, 0.0));
    let mut bad = csv(30, 0.0);
    bad.push_str("7,oops,a,0.5\n");
    let current = write(dir.path(), "cur.csv", &bad);
    let cli = Cli::try_parse_from([
        "scorewatch",
        "drift",
        "--reference",
        &reference,
        "--current",
        &current,
    ])
    .unwrap();
    let message = format!("{:#}", run(cli).unwrap_err());
    assert!(message.contains("cur.csv"), "{message}");
    assert!(message.contains("line 32"), "{message}");
    assert!(message.contains("\"income\""), "{message}");
}

#[test]
fn an_unknown_excluded_column_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(10, 0.0));
    let cli = Cli::try_parse_from([
        "scorewatch",
        "drift",
        "--reference",
        &reference,
        "--current",
        &reference,
        "--exclude",
        "nope",
    ])
    .unwrap();
    let message = format!("{:#}", run(cli).unwrap_err());
    assert!(
        message.contains("--exclude") && message.contains("nope"),
        "{message}"
    );
}

/// A reference and a current file with a `region` column: in the current file only
/// region `south` moved (income + 60, scores higher); `east` is thin in the current file.
fn regional(shift_south: bool) -> String {
    let mut text = String::from("age,income,region,score\n");
    let rows = |text: &mut String, region: &str, n: usize, shift: f64, score_shift: usize| {
        for i in 0..n {
            writeln!(
                text,
                "{},{},{region},0.{}",
                20 + i % 40,
                shift + (i % 97) as f64,
                (i % 5 + score_shift).min(9)
            )
            .expect("writing to a String cannot fail");
        }
    };
    rows(&mut text, "north", 300, 0.0, 0);
    if shift_south {
        rows(&mut text, "south", 300, 60.0, 4);
        rows(&mut text, "east", 12, 0.0, 0);
    } else {
        rows(&mut text, "south", 300, 0.0, 0);
        rows(&mut text, "east", 200, 0.0, 0);
    }
    text
}

fn segment_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let reference = write(dir, "ref.csv", &regional(false));
    let current = write(dir, "cur.csv", &regional(true));
    let mut args: Vec<String> = [
        "scorewatch",
        "drift",
        "--reference",
        &reference,
        "--current",
        &current,
        "--score-column",
        "score",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

#[test]
fn segment_by_lists_each_segment_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::try_parse_from(segment_args(dir.path(), &["--segment-by", "region"])).unwrap();
    #[allow(irrefutable_let_patterns)]
    let Command::Drift(args) = cli.command else {
        unreachable!("parsed a drift command line")
    };
    let report = build_report(&args).unwrap();
    let segments = build_segments(&args, "region", &report).unwrap();
    let order: Vec<(&str, SegmentStatus, u64, u64)> = segments
        .segments
        .iter()
        .map(|s| {
            (
                s.segment.as_str(),
                s.status,
                s.reference_rows,
                s.current_rows,
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("south", SegmentStatus::Drifted, 300, 300),
            ("north", SegmentStatus::Stable, 300, 300),
            ("east", SegmentStatus::Insufficient, 200, 12),
        ]
    );
    assert_eq!(segments.segments[0].drifted_features, ["income"]);
    assert_eq!(segments.min_rows, 100);

    let mut table = Vec::new();
    write_segments(&mut table, &segments, false).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.starts_with(
            "segments by region (judged with at least 100 rows on each side; worst first)\n"
        ),
        "{table}"
    );
    let south = table.lines().nth(2).unwrap();
    assert!(
        south.starts_with("south") && south.contains("income") && south.ends_with("DRIFTED"),
        "{table}"
    );
    assert!(
        table.contains("too few rows to judge: 200 reference and 12 current"),
        "{table}"
    );
}

#[test]
fn segment_json_has_the_report_and_a_segments_list() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::try_parse_from(segment_args(
        dir.path(),
        &["--segment-by", "region", "--min-segment-rows", "10"],
    ))
    .unwrap();
    #[allow(irrefutable_let_patterns)]
    let Command::Drift(args) = cli.command else {
        unreachable!("parsed a drift command line")
    };
    let report = build_report(&args).unwrap();
    let segments = build_segments(&args, "region", &report).unwrap();
    // With 10 rows enough, east (12 current rows) is judged.
    let east = segments
        .segments
        .iter()
        .find(|s| s.segment == "east")
        .unwrap();
    assert_ne!(east.status, SegmentStatus::Insufficient);
    let json = serde_json::to_value(&segments).unwrap();
    assert_eq!(json["column"], "region");
    assert_eq!(json["min_rows"], 10);
    assert_eq!(json["segments"].as_array().unwrap().len(), 3);
    for field in [
        "segment",
        "reference_rows",
        "current_rows",
        "score_psi",
        "score_ks",
        "drifted_features",
        "verdict",
        "status",
    ] {
        assert!(json["segments"][0].get(field).is_some(), "{field}");
    }
}

#[test]
fn an_unknown_segment_column_lists_the_valid_columns() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::try_parse_from(segment_args(dir.path(), &["--segment-by", "country"])).unwrap();
    let message = format!("{:#}", run(cli).unwrap_err());
    assert!(
        message.contains("--segment-by: unknown column 'country'")
            && message.ends_with("valid columns: age, income, region"),
        "{message}"
    );
}

#[test]
fn min_segment_rows_zero_is_refused_by_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    let err = Cli::try_parse_from(segment_args(
        dir.path(),
        &["--segment-by", "region", "--min-segment-rows", "0"],
    ))
    .unwrap_err();
    assert!(err.to_string().contains("--min-segment-rows"), "{err}");
}
