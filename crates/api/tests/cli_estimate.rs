//! `scorewatch estimate` end to end, through the built binary.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

/// Scores spread over [0, 1]; a row is positive when its score beats a fixed pattern, so
/// both classes appear at every score level.
fn csv(rows: usize, with_labels: bool) -> String {
    let mut text = String::from(if with_labels {
        "id,score,label\n"
    } else {
        "id,score\n"
    });
    for i in 0..rows {
        let score = (i * 37 % 101) as f64 / 100.0;
        let pattern = (i * 53 % 97) as f64 / 96.0;
        if with_labels {
            let label = u8::from(pattern < score);
            writeln!(text, "{i},{score},{label}").expect("writing to a String cannot fail");
        } else {
            writeln!(text, "{i},{score}").expect("writing to a String cannot fail");
        }
    }
    text
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write csv");
    path.display().to_string()
}

fn estimate(reference: &str, current: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorewatch"))
        .args([
            "estimate",
            "--reference",
            reference,
            "--current",
            current,
            "--score-column",
            "score",
            "--label-column",
            "label",
            "--positive",
            "1",
            "--threshold",
            "0.5",
        ])
        .args(extra)
        .output()
        .expect("run scorewatch")
}

fn stderr_of_any(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stderr_of(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    stderr_of_any(output)
}

#[test]
fn json_has_estimates_chunks_and_realized_values() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(1000, true));
    let current = write(dir.path(), "cur.csv", &csv(450, true));
    let output = estimate(
        &reference,
        &current,
        &["--chunk-size", "200", "--format", "json"],
    );
    assert!(output.status.success(), "{}", stderr_of_any(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let metrics = ["roc_auc", "accuracy", "precision", "recall", "f1"];
    for metric in metrics {
        let estimated = json["estimated"][metric].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&estimated), "{metric}: {estimated}");
        assert!(json["realized"][metric].is_f64(), "{metric}");
    }
    let chunks = json["chunks"].as_array().unwrap();
    let rows: Vec<u64> = chunks.iter().map(|c| c["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows, [200, 200, 50]);
    for chunk in chunks {
        for metric in metrics {
            let m = &chunk[metric];
            for field in [
                "estimated",
                "sampling_error",
                "lower",
                "upper",
                "lower_threshold",
                "upper_threshold",
                "realized",
            ] {
                assert!(m[field].is_f64(), "{metric}.{field}: {m}");
            }
            assert!(m["lower"].as_f64() <= m["estimated"].as_f64());
            assert!(m["alert"].is_boolean());
        }
    }
}

#[test]
fn without_labels_in_the_current_file_there_is_no_realized() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(500, true));
    let current = write(dir.path(), "cur.csv", &csv(300, false));
    let output = estimate(&reference, &current, &["--format", "json"]);
    assert!(output.status.success(), "{}", stderr_of_any(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json.get("realized").is_none(), "{json}");
    assert!(json["estimated"]["f1"].is_f64());
    assert_eq!(json["chunks"], serde_json::json!([]));
}

#[test]
fn table_lists_each_metric_and_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(500, true));
    let current = write(dir.path(), "cur.csv", &csv(300, false));
    let output = estimate(&reference, &current, &["--chunk-size", "100"]);
    assert!(output.status.success(), "{}", stderr_of_any(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("roc_auc") && text.contains("200..300"),
        "{text}"
    );
    assert!(text.contains("concept drift"), "{text}");
    assert!(
        !text.contains("realized"),
        "no labels, no realized column: {text}"
    );
}

#[test]
fn a_reference_without_positives_is_an_error_naming_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", "score,label\n0.2,0\n0.7,0\n");
    let current = write(dir.path(), "cur.csv", &csv(10, false));
    let message = stderr_of(&estimate(&reference, &current, &[]));
    assert!(
        message.contains("ref.csv")
            && message.contains("'label'")
            && message.contains("no positive labels"),
        "{message}"
    );
}

#[test]
fn a_reference_without_negatives_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", "score,label\n0.2,1\n0.7,1\n");
    let current = write(dir.path(), "cur.csv", &csv(10, false));
    let message = stderr_of(&estimate(&reference, &current, &[]));
    assert!(message.contains("no negative labels"), "{message}");
}

#[test]
fn a_score_outside_the_unit_interval_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(50, true));
    let mut bad = csv(5, false);
    bad.push_str("5,1.7\n");
    let current = write(dir.path(), "cur.csv", &bad);
    let message = stderr_of(&estimate(&reference, &current, &[]));
    assert!(
        message.contains("cur.csv: line 7, column 'score': score 1.7 is not a probability"),
        "{message}"
    );
}

#[test]
fn a_score_that_is_not_a_number_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = csv(3, true);
    bad.push_str("3,high,1\n");
    let reference = write(dir.path(), "ref.csv", &bad);
    let message = stderr_of(&estimate(&reference, &reference, &[]));
    assert!(
        message.contains("ref.csv: line 5, column 'score': 'high' is not a number"),
        "{message}"
    );
}

#[test]
fn a_missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(50, true));
    let current = write(dir.path(), "cur.csv", "id,p\n1,0.5\n");
    let message = stderr_of(&estimate(&reference, &current, &[]));
    assert!(
        message.contains("cur.csv: line 1: feature column 'score' is missing"),
        "{message}"
    );
    let unlabelled = write(dir.path(), "unlabelled.csv", &csv(50, false));
    let message = stderr_of(&estimate(&unlabelled, &current, &[]));
    assert!(
        message.contains("unlabelled.csv: line 1: target column 'label' is missing"),
        "{message}"
    );
}

#[test]
fn a_zero_chunk_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &csv(50, true));
    let message = stderr_of(&estimate(&reference, &reference, &["--chunk-size", "0"]));
    assert!(
        message.contains("chunk size must be at least 1"),
        "{message}"
    );
}

/// `csv(rows, true)` with a `ts` column: row `i` at 2026-03-01T06:00Z + `i` hours.
fn timed_csv(rows: usize) -> String {
    let mut lines = csv(rows, true)
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    lines[0].push_str(",ts");
    for (i, line) in lines.iter_mut().skip(1).enumerate() {
        let day = 1 + (6 + i) / 24;
        let hour = (6 + i) % 24;
        write!(line, ",2026-03-{day:02}T{hour:02}:00:00Z").expect("writing to a String");
    }
    lines.join("\n") + "\n"
}

#[test]
fn chunks_by_day_follow_the_timestamp_column() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &timed_csv(240));
    let current = write(dir.path(), "cur.csv", &timed_csv(60));
    let output = estimate(
        &reference,
        &current,
        &[
            "--chunk-period",
            "1d",
            "--timestamp-column",
            "ts",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr_of_any(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["chunk_period"], "1d");
    let chunks = json["chunks"].as_array().unwrap();
    // 06:00 on 03-01 to 17:00 on 03-03: 18 + 24 + 18 rows.
    let rows: Vec<u64> = chunks.iter().map(|c| c["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows, [18, 24, 18]);
    assert_eq!(chunks[1]["period_start"], "2026-03-02T00:00:00Z");
    assert_eq!(chunks[1]["period_end"], "2026-03-03T00:00:00Z");
    // The reference's 10 day chunks give alert thresholds.
    assert!(chunks[0]["accuracy"]["lower_threshold"].is_number());

    let table = estimate(
        &reference,
        &current,
        &["--chunk-period", "1d", "--timestamp-column", "ts"],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("2026-03-02 00:00"), "{text}");
}

#[test]
fn a_bad_timestamp_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &timed_csv(100));
    let bad = timed_csv(10).replace("2026-03-01T09:00:00Z", "yesterday");
    let current = write(dir.path(), "cur.csv", &bad);
    let output = estimate(
        &reference,
        &current,
        &["--chunk-period", "1d", "--timestamp-column", "ts"],
    );
    let err = stderr_of(&output);
    assert!(
        err.contains(&format!(
            "{current}: line 5, column 'ts': 'yesterday' is not an RFC 3339 timestamp"
        )),
        "{err}"
    );
}

#[test]
fn a_chunk_period_needs_a_timestamp_column_and_a_valid_period() {
    let dir = tempfile::tempdir().unwrap();
    let reference = write(dir.path(), "ref.csv", &timed_csv(100));
    let err = stderr_of(&estimate(&reference, &reference, &["--chunk-period", "1d"]));
    assert!(err.contains("--timestamp-column"), "{err}");
    let err = stderr_of(&estimate(
        &reference,
        &reference,
        &["--chunk-period", "2m", "--timestamp-column", "ts"],
    ));
    assert!(err.contains("invalid chunk period '2m'"), "{err}");
    let err = stderr_of(&estimate(
        &reference,
        &reference,
        &[
            "--chunk-period",
            "1d",
            "--timestamp-column",
            "ts",
            "--chunk-size",
            "5",
        ],
    ));
    assert!(err.contains("cannot be used with"), "{err}");
}
