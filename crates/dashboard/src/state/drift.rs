//! The drift tab's state: the report on screen, earlier reports, the chosen feature and the
//! table's sort order, with the functions that apply drift answers to it.

use scorewatch_core::views::{DriftSummary, DriftView};
use scorewatch_core::{DriftReport, DriftSegments, FeatureDrift, MetricsSegments};

/// A column of the drift table to sort by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DriftColumn {
    /// Schema order.
    #[default]
    Schema,
    /// Feature name.
    Feature,
    /// PSI.
    Psi,
    /// KS or chi-square statistic.
    Statistic,
    /// p-value.
    PValue,
    /// Current missing share.
    Missing,
}

/// The drift tab's data and choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftState {
    /// Whether an answer has arrived.
    pub loaded: bool,
    /// The report on screen.
    pub report: Option<DriftReport>,
    /// Earlier reports, newest first.
    pub history: Vec<DriftSummary>,
    /// An earlier report the user chose; refreshes keep showing it.
    pub pinned: Option<String>,
    /// The feature whose bins are drawn.
    pub selected_feature: Option<String>,
    /// Sort column.
    pub sort: DriftColumn,
    /// Sort direction.
    pub descending: bool,
    /// The column the segments table splits by; `None` shows no segments.
    pub segment_by: Option<String>,
    /// Drift per segment of `segment_by`, worst first as the API sends it.
    pub segments: Option<DriftSegments>,
    /// Why the segments could not be read (the API's message).
    pub segments_error: Option<String>,
    /// Fewest rows a segment needs on each side to be judged; `None` for the API's
    /// default.
    pub min_segment_rows: Option<u64>,
    /// Production metrics per segment of `segment_by`, worst (lowest AUC) first.
    pub metrics_segments: Option<MetricsSegments>,
    /// Why the metrics per segment could not be read (the API's message).
    pub metrics_segments_error: Option<String>,
}

impl DriftState {
    /// The minimum rows the segments are asked for with.
    #[must_use]
    pub fn segment_min_rows(&self) -> u64 {
        self.min_segment_rows
            .unwrap_or(scorewatch_core::DEFAULT_MIN_SEGMENT_ROWS)
    }
}

/// The user chose a segment column (or none): what was shown for another one goes.
pub fn choose_segment_column(drift: &mut DriftState, column: Option<String>) {
    if drift.segment_by != column {
        drift.segments = None;
        drift.segments_error = None;
        drift.metrics_segments = None;
        drift.metrics_segments_error = None;
    }
    drift.segment_by = column;
}

/// Applies the `by_segment` of `GET /monitoring/drift?segment_by=column&min_rows=..`; an
/// answer for a column or a minimum that is no longer chosen is dropped (the user may
/// change both faster than the server answers).
pub fn apply_drift_segments(drift: &mut DriftState, column: &str, min_rows: u64, view: DriftView) {
    if drift.segment_by.as_deref() != Some(column) || drift.segment_min_rows() != min_rows {
        return;
    }
    drift.segments_error = None;
    drift.segments = view.by_segment;
}

/// Applies `GET /monitoring/metrics/segments?by=column&min_rows=..`, dropped like
/// [`apply_drift_segments`] when the choice has changed since.
pub fn apply_metrics_segments(
    drift: &mut DriftState,
    column: &str,
    min_rows: u64,
    metrics: MetricsSegments,
) {
    if drift.segment_by.as_deref() != Some(column) || drift.segment_min_rows() != min_rows {
        return;
    }
    drift.metrics_segments_error = None;
    drift.metrics_segments = Some(metrics);
}

/// The drift badge's text and whether it shows drift: the report's verdict with its first
/// reason, such as `DRIFT — Score drift: PSI 0.29`, or `NO DRIFT`.
#[must_use]
pub fn drift_headline(report: &DriftReport) -> (String, bool) {
    if !report.verdict.is_drifted() {
        return ("NO DRIFT".to_owned(), false);
    }
    let text = match report.verdict.reasons.first() {
        Some(reason) => format!("DRIFT — {reason}"),
        None => "DRIFT".to_owned(),
    };
    (text, true)
}

/// Applies `GET /monitoring/drift`.
pub fn apply_drift(drift: &mut DriftState, view: DriftView) {
    drift.loaded = true;
    if !view.history.is_empty() || drift.pinned.is_none() {
        drift.history = view.history;
    }
    let keep_selection = drift
        .selected_feature
        .as_ref()
        .zip(view.report.as_ref())
        .is_some_and(|(name, report)| report.features.iter().any(|f| &f.name == name));
    if !keep_selection {
        drift.selected_feature = None;
    }
    drift.report = view.report;
}

/// Applies the report of `POST /monitoring/drift/run`: it becomes the one on screen and the
/// newest in the history.
pub fn apply_drift_run(drift: &mut DriftState, report: DriftReport) {
    drift.loaded = true;
    drift.pinned = None;
    if !drift.history.iter().any(|s| s.id == report.id) {
        drift.history.insert(0, DriftSummary::from(&report));
    }
    drift.selected_feature = None;
    drift.report = Some(report);
}

/// Sorts drift rows for the table; `None` PSI and p-values sort last either way.
#[must_use]
pub fn sorted_features(report: &DriftReport, sort: DriftColumn, descending: bool) -> Vec<usize> {
    fn statistic(f: &FeatureDrift) -> Option<f64> {
        f.ks.map(|ks| ks.statistic).or(f.chi2.map(|c| c.statistic))
    }
    fn p_value(f: &FeatureDrift) -> Option<f64> {
        f.ks.map(|ks| ks.p_value).or(f.chi2.map(|c| c.p_value))
    }
    let key = |f: &FeatureDrift| -> Option<f64> {
        match sort {
            DriftColumn::Schema | DriftColumn::Feature => Some(0.0),
            DriftColumn::Psi => f.psi,
            DriftColumn::Statistic => statistic(f),
            DriftColumn::PValue => p_value(f),
            DriftColumn::Missing => Some(f.missing_current),
        }
    };
    let mut order: Vec<usize> = (0..report.features.len()).collect();
    if sort == DriftColumn::Schema {
        if descending {
            order.reverse();
        }
        return order;
    }
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&report.features[a], &report.features[b]);
        let ordering = if sort == DriftColumn::Feature {
            fa.name.cmp(&fb.name)
        } else {
            match (key(fa), key(fb)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        };
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    order
}
