//! `scorewatch drift` end to end, in-process.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use clap::Parser;
use scorewatch_api::cli::{Cli, Command, drift::build_report, run};
use scorewatch_core::FeatureKind;

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
