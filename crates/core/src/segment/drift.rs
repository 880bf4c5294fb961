//! Drift per segment: each segment's current rows against the same segment of the
//! reference, with the report-level verdict of [`compute_report`].

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::columns::{SegmentColumns, SegmentPart};
use super::{SegmentError, SegmentOptions};
use crate::drift::{
    CurrentWindow, DriftOptions, DriftVerdict, KsResult, PsiBand, ReferenceProfile, WindowSpec,
    compute_report,
};

/// How a segment came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SegmentStatus {
    /// The segment's verdict is drifted.
    Drifted,
    /// The segment's verdict is stable.
    Stable,
    /// Fewer rows than the minimum on one side: listed, never judged.
    Insufficient,
}

/// The drift of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentDrift {
    /// The segment value (`(missing)` for rows whose cell is empty).
    pub segment: String,
    /// Reference rows of the segment.
    pub reference_rows: u64,
    /// Current rows of the segment.
    pub current_rows: u64,
    /// Drifted, stable, or insufficient (too few rows to judge).
    pub status: SegmentStatus,
    /// The score's PSI within the segment; `null` when insufficient or without scores.
    pub score_psi: Option<f64>,
    /// The band of `score_psi`.
    pub score_psi_band: Option<PsiBand>,
    /// The score's two-sample KS test within the segment.
    pub score_ks: Option<KsResult>,
    /// The features that drifted within the segment, in schema order.
    pub drifted_features: Vec<String>,
    /// Share of the judged features that drifted; `null` when insufficient.
    pub drifted_share: Option<f64>,
    /// The segment's verdict, by the same rules as a whole report; `null` when
    /// insufficient.
    pub verdict: Option<DriftVerdict>,
    /// One line for people: the verdict's reasons, or why the segment is not judged.
    pub reason: String,
}

/// Drift per segment, worst first (see the module docs of `segment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftSegments {
    /// The segment column.
    pub column: String,
    /// Fewest rows a segment needs on both sides to be judged.
    pub min_rows: u64,
    /// The whole reference side.
    pub reference: WindowSpec,
    /// The whole current side.
    pub current: WindowSpec,
    /// When it was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    /// One entry per segment seen on either side: drifted first, then stable, then
    /// insufficient; within each by the score's PSI, largest first, then by value.
    pub segments: Vec<SegmentDrift>,
}

impl DriftSegments {
    /// Segments whose verdict is drifted.
    #[must_use]
    pub fn drifted(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| s.status == SegmentStatus::Drifted)
            .count()
    }
}

/// Computes the drift report of each segment: the `current` rows of the segment against
/// the `reference` rows of the same segment, with a reference profile built from those
/// reference rows (their deciles and categories become the bins).
///
/// # Formula
/// Per segment with at least `options.min_rows` rows on both sides, exactly
/// [`compute_report`] under `drift`'s rule and threshold: PSI, KS (numeric) or
/// chi-square (categorical) per feature, the score's PSI and KS, and
/// [`DriftVerdict::judge`]. A segment below the minimum on either side (including one
/// that exists on one side only) is [`SegmentStatus::Insufficient`]: its row counts and
/// the reason, no statistics and no verdict.
///
/// `drift.reference` and `drift.current` describe the whole sides; they are copied into
/// the result. Both sides must summarise the same features in the same order.
///
/// # Errors
/// [`SegmentError::BadMinRows`]; [`SegmentError::Drift`] naming the segment when its
/// report cannot be computed (bad options, sides that summarise different features).
///
/// # Examples
/// ```
/// use scorewatch_core::*;
/// let side = |shift: f64| {
///     let mut rows = SegmentColumns::new("region", FeatureKind::Categorical,
///         vec![("age".into(), FeatureKind::Numeric)]);
///     for i in 0..200 {
///         let region = if i % 2 == 0 { "north" } else { "south" };
///         let age = (f64::from(i) + if region == "south" { shift } else { 0.0 }).to_string();
///         rows.push_row(Some(region), &[Some(&age)], None).unwrap();
///     }
///     rows
/// };
/// let options = SegmentOptions { min_rows: 50 };
/// let result = drift_segments(side(0.0), side(500.0), &options, &DriftOptions::default()).unwrap();
/// assert_eq!(result.segments[0].segment, "south");
/// assert_eq!(result.segments[0].status, SegmentStatus::Drifted);
/// assert_eq!(result.segments[1].status, SegmentStatus::Stable);
/// ```
pub fn drift_segments(
    reference: SegmentColumns,
    current: SegmentColumns,
    options: &SegmentOptions,
    drift: &DriftOptions,
) -> Result<DriftSegments, SegmentError> {
    let options = options.check()?;
    let column = reference.column().to_owned();
    let computed_at = drift.computed_at.unwrap_or_else(OffsetDateTime::now_utc);
    let mut reference = reference.into_parts();
    let mut current = current.into_parts();
    let keys: BTreeSet<String> = reference.keys().chain(current.keys()).cloned().collect();
    let mut segments = Vec::with_capacity(keys.len());
    for key in keys {
        let entry = segment_drift(
            &key,
            reference.remove(&key),
            current.remove(&key),
            options.min_rows,
            &DriftOptions {
                reference: segment_spec(&drift.reference, &key, &column),
                current: segment_spec(&drift.current, &key, &column),
                computed_at: Some(computed_at),
                ..drift.clone()
            },
        )
        .map_err(|source| SegmentError::Drift {
            segment: key.clone(),
            source,
        })?;
        segments.push(entry);
    }
    segments.sort_by(worst_first);
    Ok(DriftSegments {
        column,
        min_rows: options.min_rows,
        reference: drift.reference.clone(),
        current: drift.current.clone(),
        computed_at,
        segments,
    })
}

fn segment_spec(whole: &WindowSpec, key: &str, column: &str) -> WindowSpec {
    WindowSpec {
        description: format!("{column} = {key} in {}", whole.description),
        ..whole.clone()
    }
}

fn segment_drift(
    key: &str,
    reference: Option<SegmentPart>,
    current: Option<SegmentPart>,
    min_rows: u64,
    drift: &DriftOptions,
) -> Result<SegmentDrift, crate::drift::DriftError> {
    let reference_rows = reference.as_ref().map_or(0, |p| p.rows);
    let current_rows = current.as_ref().map_or(0, |p| p.rows);
    let mut entry = SegmentDrift {
        segment: key.to_owned(),
        reference_rows,
        current_rows,
        status: SegmentStatus::Insufficient,
        score_psi: None,
        score_psi_band: None,
        score_ks: None,
        drifted_features: Vec::new(),
        drifted_share: None,
        verdict: None,
        reason: String::new(),
    };
    let (Some(reference), Some(current)) = (reference, current) else {
        entry.reason = if reference_rows == 0 {
            "not in the reference: a new segment, nothing to compare with".to_owned()
        } else {
            "no current rows".to_owned()
        };
        return Ok(entry);
    };
    if reference_rows < min_rows || current_rows < min_rows {
        entry.reason = format!(
            "too few rows to judge: {reference_rows} reference and {current_rows} current, \
             at least {min_rows} needed on each side"
        );
        return Ok(entry);
    }
    let profile = ReferenceProfile::from_columns(reference.columns, reference.score);
    let mut window = CurrentWindow::from_columns(
        &profile,
        current.columns,
        current.score,
        Path::new(&drift.current.description),
    )?;
    window.sort();
    let report = compute_report(
        &profile,
        &window,
        &DriftOptions {
            reference: WindowSpec {
                rows: reference_rows,
                ..drift.reference.clone()
            },
            current: WindowSpec {
                rows: current_rows,
                ..drift.current.clone()
            },
            ..drift.clone()
        },
    )?;
    if let Some(score) = &report.score {
        entry.score_psi = score.psi;
        entry.score_psi_band = score.psi_band;
        entry.score_ks = score.ks;
    }
    entry.drifted_features = report
        .features
        .iter()
        .filter(|f| f.drifted)
        .map(|f| f.name.clone())
        .collect();
    entry.drifted_share = Some(report.drifted_share);
    entry.status = if report.verdict.is_drifted() {
        SegmentStatus::Drifted
    } else {
        SegmentStatus::Stable
    };
    entry.reason = if report.verdict.reasons.is_empty() {
        "no rule fired".to_owned()
    } else {
        report
            .verdict
            .reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    entry.verdict = Some(report.verdict);
    Ok(entry)
}

/// Drifted, stable, insufficient; then the larger score PSI (a missing one last), the
/// larger drifted share, and the segment value.
fn worst_first(a: &SegmentDrift, b: &SegmentDrift) -> Ordering {
    let descending = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    a.status
        .cmp(&b.status)
        .then_with(|| descending(a.score_psi, b.score_psi))
        .then_with(|| descending(a.drifted_share, b.drifted_share))
        .then_with(|| a.segment.cmp(&b.segment))
}
