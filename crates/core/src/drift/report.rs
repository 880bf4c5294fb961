//! The drift report: the JSON shape shared by the API, the dashboard and the CLI.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::verdict::DriftVerdict;
use crate::records::{DataQualitySummary, FeatureKind};

/// The conventional PSI bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PsiBand {
    /// PSI < 0.1.
    Stable,
    /// 0.1 <= PSI < 0.25.
    Moderate,
    /// PSI >= 0.25.
    Significant,
}

/// How a KS p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KsMethod {
    /// Exact path counting (max(n, m) <= 10000).
    Exact,
    /// `kstwo.sf(D, round(n*m/(n+m)))`.
    Asymptotic,
}

/// Two-sample Kolmogorov-Smirnov result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KsResult {
    /// `D = max |F_ref - F_cur|`.
    pub statistic: f64,
    /// Two-sided p-value as `scipy.stats.ks_2samp(method="auto")`.
    pub p_value: f64,
    /// Which path produced the p-value.
    pub method: KsMethod,
}

/// Chi-square homogeneity test on the 2 x K table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chi2Result {
    /// The chi-square statistic (Yates-corrected when `dof == 1`).
    pub statistic: f64,
    /// Degrees of freedom, K - 1 after dropping categories empty on both sides.
    pub dof: u32,
    /// Survival function of the chi-square distribution at `statistic`.
    pub p_value: f64,
}

/// One bin of a PSI comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BinShare {
    /// Human label such as `[10, 20)`, `employed`, `unseen` or `missing`.
    pub label: String,
    /// Share of reference rows in this bin (before flooring).
    pub reference_share: f64,
    /// Share of current rows in this bin (before flooring).
    pub current_share: f64,
}

/// Drift of one feature (or of the model score).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureDrift {
    /// Column name (`score` for the model score).
    pub name: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
    /// Rows in the reference, missing values included.
    pub n_reference: u64,
    /// Rows in the current window, missing values included.
    pub n_current: u64,
    /// Share of reference rows that are missing.
    pub missing_reference: f64,
    /// Share of current rows that are missing.
    pub missing_current: f64,
    /// Population stability index; `None` when there is not enough data.
    pub psi: Option<f64>,
    /// The band of `psi`.
    pub psi_band: Option<PsiBand>,
    /// Per-bin shares behind the PSI.
    pub bins: Vec<BinShare>,
    /// KS test, numeric features only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ks: Option<KsResult>,
    /// Chi-square test, categorical features only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi2: Option<Chi2Result>,
    /// The verdict under the report's rule.
    pub drifted: bool,
    /// Why it is (or is not) drifted, or why no verdict could be given.
    pub reason: String,
}

/// Which rule marks a feature as drifted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum DriftRule {
    /// Drifted when the PSI band is at least `min_band` (default moderate).
    PsiBand {
        /// The lowest band that counts as drift.
        min_band: PsiBand,
    },
    /// Drifted when the KS or chi-square p-value is below `alpha`.
    PValue {
        /// Significance level, default 0.05.
        alpha: f64,
    },
}

impl Default for DriftRule {
    fn default() -> Self {
        Self::PsiBand {
            min_band: PsiBand::Moderate,
        }
    }
}

/// The rows a report compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowSpec {
    /// Free description, such as `newest 10000 predictions of model 2026...` or a file name.
    pub description: String,
    /// Model version the window belongs to, when it came from the prediction log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// Timestamp of the oldest row in the window, when known.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<OffsetDateTime>,
    /// Timestamp of the newest row in the window, when known.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<OffsetDateTime>,
    /// Rows in the window.
    pub rows: u64,
}

/// A full drift report: every feature, the score, the verdict and the current window's
/// data quality.
///
/// Reports saved before `verdict` existed still load: their verdict is derived from the
/// fields they did save (the score's PSI band and `dataset_drift`), which is what
/// [`DriftVerdict::judge`] would have said when they were computed. Reports saved before
/// `data_quality` existed load without one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(from = "StoredDriftReport")]
pub struct DriftReport {
    /// Unique id of the report.
    pub id: String,
    /// When it was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    /// The reference side.
    pub reference: WindowSpec,
    /// The current side.
    pub current: WindowSpec,
    /// The rule used for `drifted`.
    pub rule: DriftRule,
    /// Share of drifted features at which the data set counts as drifted (default 0.5).
    pub dataset_drift_threshold: f64,
    /// One entry per feature, in schema order.
    pub features: Vec<FeatureDrift>,
    /// The model score, when the current rows carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<FeatureDrift>,
    /// Share of features (not the score) that drifted.
    pub drifted_share: f64,
    /// `drifted_share >= dataset_drift_threshold`: the feature rule alone. The report's
    /// answer is `verdict`, which also weighs the score.
    pub dataset_drift: bool,
    /// Drifted or stable, and the rules that fired.
    pub verdict: DriftVerdict,
    /// Per feature, the missing, out-of-training-range and unseen-category counts and
    /// shares over the same current rows. Set by whoever read those rows: the monitoring
    /// layer for a window of the prediction log, `scorewatch drift` for a CSV file.
    /// Absent from reports saved before it existed ([`compute_report`](super::compute_report)
    /// alone leaves it unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality: Option<DataQualitySummary>,
}

/// [`DriftReport`] as read back, where `verdict` may be absent (saved before it existed).
#[derive(Deserialize)]
struct StoredDriftReport {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    computed_at: OffsetDateTime,
    reference: WindowSpec,
    current: WindowSpec,
    rule: DriftRule,
    dataset_drift_threshold: f64,
    features: Vec<FeatureDrift>,
    #[serde(default)]
    score: Option<FeatureDrift>,
    drifted_share: f64,
    dataset_drift: bool,
    #[serde(default)]
    verdict: Option<DriftVerdict>,
    #[serde(default)]
    data_quality: Option<DataQualitySummary>,
}

impl From<StoredDriftReport> for DriftReport {
    fn from(stored: StoredDriftReport) -> Self {
        let verdict = stored.verdict.unwrap_or_else(|| {
            DriftVerdict::judge(
                stored.score.as_ref(),
                &stored.features,
                stored.drifted_share,
                stored.dataset_drift_threshold,
                stored.dataset_drift,
            )
        });
        Self {
            id: stored.id,
            computed_at: stored.computed_at,
            reference: stored.reference,
            current: stored.current,
            rule: stored.rule,
            dataset_drift_threshold: stored.dataset_drift_threshold,
            features: stored.features,
            score: stored.score,
            drifted_share: stored.drifted_share,
            dataset_drift: stored.dataset_drift,
            verdict,
            data_quality: stored.data_quality,
        }
    }
}
