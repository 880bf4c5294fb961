//! `scorewatch generate`, `evaluate` and `train` run in-process.

use std::process::ExitCode;

use clap::Parser;
use scorewatch_api::cli::{Cli, run};

fn scorewatch(args: &[&str]) -> ExitCode {
    let mut argv = vec!["scorewatch"];
    argv.extend_from_slice(args);
    run(Cli::parse_from(argv)).expect("the command runs")
}

#[test]
fn generate_is_deterministic_and_train_exit_codes_follow_the_decision() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let data_dir = data_dir.to_str().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    for out in [&a, &b] {
        let out = out.to_str().unwrap();
        let code = scorewatch(&["generate", "--rows", "1500", "--seed", "3", "--out", out]);
        assert_eq!(code, ExitCode::SUCCESS);
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

    let a = a.to_str().unwrap();
    let code = scorewatch(&[
        "--data-dir",
        data_dir,
        "train",
        "--data",
        a,
        "--format",
        "json",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "first model is promoted");

    // Noise labels: a much worse model is rejected with exit code 3.
    let noise = dir.path().join("noise.csv");
    let mut text = String::from("x,default\n");
    for i in 0..600u32 {
        let row = format!("{},{}\n", i % 5, (i * 7919 % 13) % 2);
        text.push_str(&row);
    }
    std::fs::write(&noise, text).unwrap();
    let noise = noise.to_str().unwrap();
    let code = scorewatch(&["--data-dir", data_dir, "train", "--data", noise]);
    assert_eq!(code, ExitCode::from(3));
    let code = scorewatch(&["--data-dir", data_dir, "train", "--data", noise, "--force"]);
    assert_eq!(code, ExitCode::SUCCESS);

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_str().unwrap();
    let code = scorewatch(&["--data-dir", data_dir, "train", "--data", empty]);
    assert_eq!(code, ExitCode::FAILURE);
}

#[test]
fn evaluate_reads_scores_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scored.csv");
    std::fs::write(&input, "p,y\n0.1,0\n0.8,1\n0.4,1\n").unwrap();
    let input = input.to_str().unwrap();
    let code = scorewatch(&[
        "evaluate",
        "--input",
        input,
        "--score-column",
        "p",
        "--label-column",
        "y",
        "--format",
        "json",
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(Cli::try_parse_from(["scorewatch", "evaluate", "--input", "x.csv"]).is_err());
    let err = run(Cli::parse_from([
        "scorewatch",
        "evaluate",
        "--input",
        input,
        "--score-column",
        "q",
        "--label-column",
        "y",
    ]))
    .unwrap_err();
    assert!(format!("{err:#}").contains("'q'"), "{err:#}");
}
