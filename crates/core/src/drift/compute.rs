//! From a reference profile and a current window to a [`DriftReport`].

use std::borrow::Cow;

use time::OffsetDateTime;

use super::chi2::chi2_homogeneity;
use super::error::DriftError;
use super::ks::ks_2samp;
use super::profile::{CategoricalProfile, FeatureReference, NumericProfile, ReferenceProfile};
use super::psi::{count_sorted, numeric_labels, psi_of_shares, shares};
use super::report::{BinShare, DriftReport, DriftRule, FeatureDrift, PsiBand, WindowSpec};
use super::values::NumericValues;
use super::verdict::DriftVerdict;
use super::window::{CurrentFeature, CurrentWindow};
use crate::records::FeatureKind;

/// Default share of drifted features at which the data set counts as drifted.
pub const DEFAULT_DATASET_DRIFT_THRESHOLD: f64 = 0.5;

/// How a report is computed and labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftOptions {
    /// Which rule marks a feature as drifted (default: PSI band moderate or worse).
    pub rule: DriftRule,
    /// Share of drifted features at which the data set drifts, in (0, 1] (default 0.5).
    pub dataset_drift_threshold: f64,
    /// What the reference was.
    pub reference: WindowSpec,
    /// What the current window was.
    pub current: WindowSpec,
    /// When the report is computed; now when `None`.
    pub computed_at: Option<OffsetDateTime>,
}

impl Default for DriftOptions {
    fn default() -> Self {
        let window = |description: &str| WindowSpec {
            description: description.to_owned(),
            model_version: None,
            from: None,
            to: None,
            rows: 0,
        };
        Self {
            rule: DriftRule::default(),
            dataset_drift_threshold: DEFAULT_DATASET_DRIFT_THRESHOLD,
            reference: window("reference"),
            current: window("current"),
            computed_at: None,
        }
    }
}

/// Compares a current window with a reference profile, feature by feature, and gives the
/// dataset verdict.
///
/// # Formula
/// Per feature: PSI over the frozen bins (missing bin included; see [`psi`](super::psi::psi)),
/// KS ([`ks_2samp`]) for numeric features and chi-square
/// ([`chi2_homogeneity`](super::chi2::chi2_homogeneity)) for categorical ones, on the
/// non-missing values. The chi-square table is the PSI bins without `missing`: the
/// reference categories plus one `unseen` column, so it stays bounded whatever the
/// current window holds. A feature drifts under [`DriftRule::PsiBand`] when its band is
/// at least `min_band`, under [`DriftRule::PValue`] when its test's p-value is below
/// `alpha`. A side with no non-missing value gives an "insufficient data" entry (no PSI,
/// not drifted). `drifted_share` is the drifted share of the features that got a verdict
/// (0 when none did), and the data set drifts when it reaches the threshold. The report's
/// [`verdict`](DriftReport::verdict) is drifted when the data set drifts or the score's
/// PSI band is significant ([`DriftVerdict::judge`]).
///
/// # Errors
/// [`DriftError::BadOption`] for a threshold or alpha outside (0, 1],
/// [`DriftError::ProfileMismatch`] when the sample was built for another profile;
/// [`DriftError::InconsistentProfile`] when the profile's parts do not fit together.
///
/// # Examples
/// ```
/// use scorewatch_core::*;
/// let column = |v: Vec<f64>| NamedColumn {
///     name: "x".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(v)),
/// };
/// let profile = ReferenceProfile::from_columns(vec![column((0..100).map(f64::from).collect())], None);
/// let current = CurrentWindow::from_columns(
///     &profile, vec![column((0..100).map(f64::from).collect())], None, "cur.csv".as_ref(),
/// ).unwrap();
/// let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
/// assert_eq!(report.features[0].psi, Some(0.0));
/// assert!(!report.dataset_drift);
/// ```
pub fn compute_report(
    profile: &ReferenceProfile,
    current: &CurrentWindow,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    check_options(options)?;
    profile.validate()?;
    if profile.features.len() != current.features().len() {
        return Err(DriftError::ProfileMismatch {
            profile: profile.features.len(),
            sample: current.features().len(),
        });
    }
    let mut features = Vec::with_capacity(profile.features.len());
    for (feature, cur) in profile.features.iter().zip(current.features()) {
        let entry = match (&feature.reference, cur) {
            (FeatureReference::Numeric(reference), CurrentFeature::Numeric(values)) => {
                numeric_drift(&feature.name, reference, values, options.rule)
            }
            (
                FeatureReference::Categorical(reference),
                CurrentFeature::Categorical {
                    counts,
                    unseen,
                    missing,
                },
            ) => categorical_drift(
                &feature.name,
                reference,
                counts,
                *unseen,
                *missing,
                options.rule,
            ),
            _ => {
                return Err(DriftError::KindMismatch {
                    path: "current window".into(),
                    column: feature.name.clone(),
                    reference: feature.kind(),
                });
            }
        };
        features.push(entry);
    }
    let score = match (&profile.score, current.score()) {
        (Some(reference), Some(values)) => {
            Some(numeric_drift("score", reference, values, options.rule))
        }
        _ => None,
    };
    let judged = features.iter().filter(|f| f.psi.is_some()).count();
    let drifted = features.iter().filter(|f| f.drifted).count();
    let drifted_share = if judged == 0 {
        0.0
    } else {
        drifted as f64 / judged as f64
    };
    let dataset_drift = judged > 0 && drifted_share >= options.dataset_drift_threshold;
    let verdict = DriftVerdict::judge(
        score.as_ref(),
        &features,
        drifted_share,
        options.dataset_drift_threshold,
        dataset_drift,
    );
    Ok(DriftReport {
        id: uuid::Uuid::now_v7().to_string(),
        computed_at: options.computed_at.unwrap_or_else(OffsetDateTime::now_utc),
        reference: options.reference.clone(),
        current: options.current.clone(),
        rule: options.rule,
        dataset_drift_threshold: options.dataset_drift_threshold,
        features,
        score,
        drifted_share,
        dataset_drift,
        verdict,
        // Filled by the caller that read the rows (monitoring, `scorewatch drift`).
        data_quality: None,
    })
}

fn check_options(options: &DriftOptions) -> Result<(), DriftError> {
    let in_unit = |v: f64| v > 0.0 && v <= 1.0;
    if !in_unit(options.dataset_drift_threshold) {
        return Err(DriftError::BadOption {
            field: "dataset_drift_threshold",
            value: options.dataset_drift_threshold,
        });
    }
    if let DriftRule::PValue { alpha } = options.rule
        && !in_unit(alpha)
    {
        return Err(DriftError::BadOption {
            field: "alpha",
            value: alpha,
        });
    }
    Ok(())
}

fn band_name(band: PsiBand) -> &'static str {
    match band {
        PsiBand::Stable => "stable",
        PsiBand::Moderate => "moderate",
        PsiBand::Significant => "significant",
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Why a side cannot be judged, if it cannot.
fn insufficient(side: &str, rows: u64, non_missing: u64) -> Option<String> {
    if rows == 0 {
        Some(format!("insufficient data: the {side} has no rows"))
    } else if non_missing == 0 {
        Some(format!(
            "insufficient data: all {rows} {side} rows are missing"
        ))
    } else {
        None
    }
}

fn bins(labels: Vec<String>, reference: &[f64], current: &[f64]) -> Vec<BinShare> {
    labels
        .into_iter()
        .zip(reference.iter().zip(current))
        .map(|(label, (&reference_share, &current_share))| BinShare {
            label,
            reference_share,
            current_share,
        })
        .collect()
}

/// The verdict and its reason, given the PSI and the test's p-value.
fn verdict(rule: DriftRule, psi: f64, band: PsiBand, test: &str, p: Option<f64>) -> (bool, String) {
    match rule {
        DriftRule::PsiBand { min_band } => {
            let drifted = band >= min_band;
            let relation = if drifted { "at or above" } else { "below" };
            (
                drifted,
                format!(
                    "psi {psi:.4} is {}, {relation} {}",
                    band_name(band),
                    band_name(min_band)
                ),
            )
        }
        DriftRule::PValue { alpha } => match p {
            Some(p) => {
                let drifted = p < alpha;
                let relation = if drifted { "<" } else { ">=" };
                (
                    drifted,
                    format!("{test} p-value {p:.3e} {relation} alpha {alpha}"),
                )
            }
            None => (false, format!("{test} p-value undefined; not judged")),
        },
    }
}

fn numeric_drift(
    name: &str,
    reference: &NumericProfile,
    values: &NumericValues,
    rule: DriftRule,
) -> FeatureDrift {
    let sorted: Cow<'_, [f64]> = if values.is_sorted() {
        Cow::Borrowed(values.values())
    } else {
        let mut copy = values.values().to_vec();
        copy.sort_unstable_by(f64::total_cmp);
        Cow::Owned(copy)
    };
    let mut ref_counts = reference.bin_counts.clone();
    ref_counts.push(reference.missing);
    let mut cur_counts = count_sorted(&reference.edges, &sorted);
    cur_counts.push(values.missing());
    let (n_ref, n_cur) = (reference.rows(), values.rows());
    let ref_shares = shares(&ref_counts);
    let cur_shares = shares(&cur_counts);
    let mut labels = numeric_labels(&reference.edges);
    labels.push("missing".to_owned());
    let mut entry = FeatureDrift {
        name: name.to_owned(),
        kind: FeatureKind::Numeric,
        n_reference: n_ref,
        n_current: n_cur,
        missing_reference: share(reference.missing, n_ref),
        missing_current: share(values.missing(), n_cur),
        psi: None,
        psi_band: None,
        bins: bins(labels, &ref_shares, &cur_shares),
        ks: None,
        chi2: None,
        drifted: false,
        reason: String::new(),
    };
    let why_not = insufficient("reference", n_ref, reference.sorted_values.len() as u64)
        .or_else(|| insufficient("current window", n_cur, sorted.len() as u64));
    if let Some(reason) = why_not {
        entry.reason = reason;
        return entry;
    }
    let psi = psi_of_shares(&ref_shares, &cur_shares);
    let band = PsiBand::from_psi(psi);
    entry.ks = ks_2samp(&reference.sorted_values, &sorted);
    let (drifted, reason) = verdict(rule, psi, band, "ks", entry.ks.map(|k| k.p_value));
    entry.psi = Some(psi);
    entry.psi_band = Some(band);
    entry.drifted = drifted;
    entry.reason = reason;
    entry
}

fn categorical_drift(
    name: &str,
    reference: &CategoricalProfile,
    counts: &[u64],
    unseen: u64,
    missing: u64,
    rule: DriftRule,
) -> FeatureDrift {
    let mut ref_counts = reference.counts.clone();
    ref_counts.extend([0, reference.missing]);
    let mut cur_counts = counts.to_vec();
    cur_counts.extend([unseen, missing]);
    let n_ref = reference.rows();
    let n_cur: u64 = cur_counts.iter().sum();
    let ref_shares = shares(&ref_counts);
    let cur_shares = shares(&cur_counts);
    let mut labels = reference.categories.clone();
    labels.extend(["unseen".to_owned(), "missing".to_owned()]);
    let mut entry = FeatureDrift {
        name: name.to_owned(),
        kind: FeatureKind::Categorical,
        n_reference: n_ref,
        n_current: n_cur,
        missing_reference: share(reference.missing, n_ref),
        missing_current: share(missing, n_cur),
        psi: None,
        psi_band: None,
        bins: bins(labels, &ref_shares, &cur_shares),
        ks: None,
        chi2: None,
        drifted: false,
        reason: String::new(),
    };
    let why_not = insufficient("reference", n_ref, n_ref - reference.missing)
        .or_else(|| insufficient("current window", n_cur, n_cur - missing));
    if let Some(reason) = why_not {
        entry.reason = reason;
        return entry;
    }
    let psi = psi_of_shares(&ref_shares, &cur_shares);
    let band = PsiBand::from_psi(psi);
    let table_len = ref_counts.len() - 1;
    entry.chi2 = chi2_homogeneity(&ref_counts[..table_len], &cur_counts[..table_len]);
    let (drifted, reason) = verdict(rule, psi, band, "chi-square", entry.chi2.map(|c| c.p_value));
    entry.psi = Some(psi);
    entry.psi_band = Some(band);
    entry.drifted = drifted;
    entry.reason = reason;
    entry
}
