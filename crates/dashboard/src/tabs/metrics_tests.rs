//! [`history_series`]: the lines and version markers of the metrics plot.

use scorewatch_core::MetricSource;

use super::history_series;
use crate::fixtures;

#[test]
fn history_series_groups_by_metric_and_source_and_marks_versions() {
    let series = history_series(&fixtures::metrics().history);
    assert_eq!(
        series
            .versions
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>(),
        [fixtures::OLD_MODEL, fixtures::MODEL]
    );
    let training_auc = &series.lines[&("roc_auc".to_owned(), MetricSource::Training)];
    assert_eq!(training_auc.len(), 2);
    assert!(training_auc[0][0] < training_auc[1][0], "sorted by time");
    assert_eq!(
        series.lines[&("accuracy".to_owned(), MetricSource::Manual)].len(),
        1
    );
    assert!(series.metric_names.contains("precision"));
    assert_eq!(series.rejected_candidates, 0);
}

#[test]
fn history_series_leaves_out_rejected_candidates() {
    let mut history = fixtures::metrics().history;
    let plain = history_series(&history);
    // A newer candidate, rejected: its validation AUC must not join the served model's
    // line, nor its version get a marker.
    let mut rejected = history
        .iter()
        .find(|e| e.source == MetricSource::Validation)
        .unwrap()
        .clone();
    rejected.timestamp += time::Duration::days(30);
    rejected.model_version = Some("rejected-candidate".into());
    rejected.metrics.insert("roc_auc".into(), 0.51);
    rejected.rejected_candidate = true;
    history.push(rejected);

    let series = history_series(&history);
    assert_eq!(series.rejected_candidates, 1);
    assert_eq!(series.lines, plain.lines);
    assert_eq!(series.versions, plain.versions);
}

#[test]
fn estimated_entries_form_their_own_line_beside_production() {
    let mut history = fixtures::metrics().history;
    let mut estimated = history
        .iter()
        .find(|e| e.source == MetricSource::Validation)
        .unwrap()
        .clone();
    estimated.source = MetricSource::Estimated;
    estimated.timestamp += time::Duration::days(1);
    estimated.metrics.insert("roc_auc".into(), 0.77);
    history.push(estimated);

    let series = history_series(&history);
    let line = &series.lines[&("roc_auc".to_owned(), MetricSource::Estimated)];
    assert_eq!(line.len(), 1);
    assert!((line[0][1] - 0.77).abs() < f64::EPSILON);
    assert_eq!(
        crate::tabs::history_plot::source_name(MetricSource::Estimated),
        "estimated"
    );
}

#[test]
fn estimated_bands_are_collected_and_the_missing_days_break_the_line() {
    let series = history_series(&fixtures::metrics_with_estimate().history);
    let line = &series.lines[&("roc_auc".to_owned(), MetricSource::Estimated)];
    let band = &series.bands["roc_auc"];
    assert_eq!(band.len(), line.len());
    for (point, bounds) in line.iter().zip(band) {
        assert!((point[0] - bounds[0]).abs() < f64::EPSILON, "same times");
        assert!(
            bounds[1] < point[1] && point[1] < bounds[2],
            "{bounds:?} around {point:?}"
        );
    }
    // Every 6 h, then two days without an estimate, then 6 h again: two runs.
    let xs: Vec<f64> = line.iter().map(|p| p[0]).collect();
    assert_eq!(
        crate::tabs::history_plot::gap_segments(&xs),
        vec![0..3, 3..5]
    );
}
