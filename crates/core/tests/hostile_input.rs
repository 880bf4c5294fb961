//! Proptest equivalents of the cargo-fuzz targets in `fuzz/`: the same checks
//! (`support/hostile.rs`), fed with mutated real files and with arbitrary bytes, for a
//! bounded number of cases so that CI stays fast. The long runs are cargo-fuzz's
//! (`docs/reliability.md`).
#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns panic on setup failure"
)]

#[path = "support/hostile.rs"]
mod hostile;

use proptest::prelude::*;

/// Cases per property; each case writes and reopens files, so keep it modest for CI.
const CASES: u32 = 96;

/// A real file with up to 8 bytes overwritten, up to 4 byte runs removed or duplicated,
/// and maybe cut short: most mutations keep the file close enough to its format to get
/// past the first check, unlike uniformly random bytes.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len().max(1);
    (
        prop::collection::vec((0..len, any::<u8>()), 0..8),
        prop::collection::vec((0..len, 0..64usize, any::<bool>()), 0..4),
        prop::option::of(0..len),
    )
        .prop_map(move |(flips, splices, cut)| {
            let mut bytes = seed.clone();
            for (at, byte) in flips {
                if let Some(b) = bytes.get_mut(at) {
                    *b = byte;
                }
            }
            for (at, n, duplicate) in splices {
                let at = at.min(bytes.len());
                let end = (at + n).min(bytes.len());
                if duplicate {
                    let run = bytes[at..end].to_vec();
                    bytes.splice(at..at, run);
                } else {
                    bytes.drain(at..end);
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut);
            }
            bytes
        })
}

fn with_selector(selector: u8, mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.insert(0, selector);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn csv_logs_survive_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        hostile::check_csv_log(&bytes);
    }

    #[test]
    fn csv_logs_survive_mutated_logs(
        bytes in prop_oneof![
            mutated(hostile::seed_files().predictions_log.clone()),
            mutated(hostile::seed_files().outcomes_log.clone()),
        ]
    ) {
        hostile::check_csv_log(&bytes);
    }

    #[test]
    fn json_documents_survive_arbitrary_bytes(
        selector in any::<u8>(),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        hostile::check_json_documents(&with_selector(selector, bytes));
    }

    #[test]
    fn json_documents_survive_mutated_documents(
        input in prop_oneof![
            mutated(hostile::seed_files().metrics.clone()).prop_map(|b| with_selector(0, b)),
            mutated(hostile::seed_files().drift_reports.clone()).prop_map(|b| with_selector(1, b)),
            mutated(hostile::seed_files().pipeline_status.clone()).prop_map(|b| with_selector(2, b)),
            mutated(hostile::seed_files().pipeline_running.clone()).prop_map(|b| with_selector(2, b)),
        ]
    ) {
        hostile::check_json_documents(&input);
    }

    #[test]
    fn model_files_survive_mutation(
        input in prop_oneof![
            mutated(hostile::seed_files().model.clone()).prop_map(|b| with_selector(0, b)),
            mutated(hostile::seed_files().profile.clone()).prop_map(|b| with_selector(1, b)),
            prop::collection::vec(any::<u8>(), 0..512),
        ]
    ) {
        hostile::check_model_files(&input);
    }

    #[test]
    fn request_bodies_survive_mutation(
        bytes in prop_oneof![
            prop::sample::select(hostile::seed_files().requests.clone()).prop_flat_map(mutated),
            prop::collection::vec(any::<u8>(), 0..512),
        ]
    ) {
        hostile::check_request_body(&bytes);
    }
}

#[test]
fn seed_files_pass_every_check() {
    let seeds = hostile::seed_files();
    hostile::check_csv_log(&seeds.predictions_log);
    hostile::check_csv_log(&seeds.outcomes_log);
    for (selector, doc) in [
        (0, &seeds.metrics),
        (1, &seeds.drift_reports),
        (2, &seeds.pipeline_status),
        (2, &seeds.pipeline_running),
    ] {
        hostile::check_json_documents(&with_selector(selector, doc.clone()));
    }
    hostile::check_model_files(&with_selector(0, seeds.model.clone()));
    hostile::check_model_files(&with_selector(1, seeds.profile.clone()));
    for body in &seeds.requests {
        hostile::check_request_body(body);
    }
}

/// Regression (found by the `model_files` fuzzer): a reference profile whose edges are
/// out of order made `count_sorted` subtract with overflow inside a drift computation.
#[test]
fn count_sorted_survives_edges_out_of_order() {
    let sorted = [0.0, 0.1, 0.2, 0.3, 0.4, 5.0, 6.0];
    let counts = scorewatch_core::count_sorted(&[0.11, 5.2, 0.26, 0.31], &sorted);
    assert_eq!(counts.len(), 5);
    assert_eq!(counts.iter().sum::<u64>(), sorted.len() as u64);
    assert_eq!(counts, vec![2, 4, 0, 0, 1]);
}

#[test]
fn fuzz_finding_model_files_unsorted_profile_edges() {
    let seeds = hostile::seed_files();
    let mut profile: serde_json::Value = serde_json::from_slice(&seeds.profile).unwrap();
    let edges = profile["features"][0]["reference"]["edges"]
        .as_array_mut()
        .unwrap();
    edges.swap(0, 1);
    edges[0] = serde_json::json!(1.0e9);
    let mut input = vec![1u8];
    input.extend(serde_json::to_vec(&profile).unwrap());
    hostile::check_model_files(&input);
}

/// `fuzz/run_all.sh` (`model_files`, 2026-11-25): a categorical profile with more counts than
/// categories made `categorical_drift` slice past the end of the current counts, a panic
/// in the background drift job (and in `scorewatch serve` start-up's first report). A
/// profile whose parts do not fit is now refused by `ReferenceProfile::validate`, which
/// the server runs when it loads `reference_profile.json` and `compute_report` runs first.
#[test]
fn fuzz_finding_model_files_categorical_counts_longer_than_categories() {
    let seeds = hostile::seed_files();
    let mut profile: serde_json::Value = serde_json::from_slice(&seeds.profile).unwrap();
    let features = profile["features"].as_array_mut().unwrap();
    let categorical = features
        .iter_mut()
        .find(|f| f["reference"]["kind"] == "categorical")
        .expect("the seed profile has a categorical feature");
    let name = categorical["name"].as_str().unwrap().to_owned();
    categorical["reference"]["categories"] = serde_json::json!(["only_one"]);
    let mut input = vec![1u8];
    input.extend(serde_json::to_vec(&profile).unwrap());
    hostile::check_model_files(&input);

    let parsed: scorewatch_core::ReferenceProfile = serde_json::from_value(profile).unwrap();
    let err = parsed.validate().unwrap_err();
    assert!(
        matches!(&err, scorewatch_core::DriftError::InconsistentProfile { feature, .. } if *feature == name),
        "{err}"
    );
    assert!(err.to_string().contains("counts for 1 categories"), "{err}");
    let sample = scorewatch_core::CurrentWindow::new(&parsed);
    let computed = scorewatch_core::compute_report(
        &parsed,
        &sample,
        &scorewatch_core::DriftOptions::default(),
    );
    assert!(
        matches!(
            computed,
            Err(scorewatch_core::DriftError::InconsistentProfile { .. })
        ),
        "{computed:?}"
    );
}

#[test]
fn a_profile_built_from_data_validates() {
    let seeds = hostile::seed_files();
    let profile: scorewatch_core::ReferenceProfile =
        serde_json::from_slice(&seeds.profile).unwrap();
    profile.validate().unwrap();
}
