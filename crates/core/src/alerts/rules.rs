//! The alert rules' settings: built-in defaults, overridden by a TOML file
//! (`scorewatch serve --alert-rules FILE`). Unknown keys are refused, and every error
//! names the file, line and key, so a typo cannot silently turn a rule off.

use std::num::{NonZeroU32, NonZeroU64};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::records::{IssueKind, Severity};

/// Default `performance_drop.max_drop` (and the issue's "more than 0.05 below
/// validation").
pub const DEFAULT_MAX_AUC_DROP: f64 = 0.05;
/// Default `performance_drop.min_rows`: below about 200 labelled rows the AUC's standard
/// error (~0.03 at AUC 0.75) is of the order of the drop looked for, so the rule would
/// fire on noise.
pub const DEFAULT_MIN_LABELLED_ROWS: u64 = 200;
/// Default `estimated_performance_drop.min_rows`: the estimate's sampling error shrinks
/// like the labelled AUC's, so the same floor keeps the rule off noise.
pub const DEFAULT_MIN_ESTIMATED_ROWS: u64 = 200;
/// Default `data_quality.max_missing_share`: the sample data's most often missing
/// feature (`utilization`) is missing in about 4 % of training rows, so 10 % is a change,
/// not the usual.
pub const DEFAULT_MAX_MISSING_SHARE: f64 = 0.10;
/// Default `data_quality.max_out_of_range_share`: a training range is the min and max of
/// thousands of rows, so a stable population falls outside it well under 1 % of the time.
pub const DEFAULT_MAX_OUT_OF_RANGE_SHARE: f64 = 0.05;
/// Default `data_quality.max_unseen_category_share`.
pub const DEFAULT_MAX_UNSEEN_CATEGORY_SHARE: f64 = 0.05;
/// Default `data_quality.min_rows`: below this a single odd application is a visible
/// share of the window.
pub const DEFAULT_MIN_QUALITY_ROWS: u64 = 100;
/// Default `no_traffic.minutes`.
pub const DEFAULT_NO_TRAFFIC_MINUTES: u64 = 60;
/// Default `renotify_minutes`: a firing alert nobody acknowledged is sent again after
/// four hours.
pub const DEFAULT_RENOTIFY_MINUTES: u64 = 240;

/// Default `resolve_after`: a firing alert resolves after three evaluations in a row
/// judged it clear. On the demo a drifted share sitting exactly at the threshold
/// alternated every evaluation and fired and resolved 25 times in 6 minutes; one clear
/// evaluation between findings no longer resolves it.
pub const DEFAULT_RESOLVE_AFTER: u32 = 3;

/// A share in [0, 1], checked where the file is read.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Deserialize)]
#[serde(try_from = "f64")]
pub struct Share(f64);

impl Share {
    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Share {
    type Error = String;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if (0.0..=1.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!("{value} is not a share in [0, 1]"))
        }
    }
}

/// `[score_drift]`: the model score's PSI band.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreDriftRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity when the band is significant (PSI >= 0.25; default critical).
    pub significant: Severity,
    /// Also alert when the band is moderate (0.1 <= PSI < 0.25; default true).
    pub alert_on_moderate: bool,
    /// Severity when the band is moderate (default warning).
    pub moderate: Severity,
}

impl Default for ScoreDriftRule {
    fn default() -> Self {
        Self {
            enabled: true,
            significant: Severity::Critical,
            alert_on_moderate: true,
            moderate: Severity::Warning,
        }
    }
}

/// `[feature_drift]`: the share of drifted features.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureDriftRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default warning).
    pub severity: Severity,
    /// Fires when the drifted share reaches this; absent (the default): the report's
    /// own `dataset_drift_threshold`.
    pub threshold: Option<Share>,
}

impl Default for FeatureDriftRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Warning,
            threshold: None,
        }
    }
}

/// `[performance_drop]`: production AUC against validation AUC of the served model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerformanceDropRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default critical).
    pub severity: Severity,
    /// Fires when production AUC is more than this below validation AUC (default
    /// [`DEFAULT_MAX_AUC_DROP`]).
    pub max_drop: Share,
    /// Labelled production rows needed before the rule judges (default
    /// [`DEFAULT_MIN_LABELLED_ROWS`]); with fewer, an alert stays as it is.
    pub min_rows: u64,
}

impl Default for PerformanceDropRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Critical,
            max_drop: Share(DEFAULT_MAX_AUC_DROP),
            min_rows: DEFAULT_MIN_LABELLED_ROWS,
        }
    }
}

/// `[estimated_performance_drop]`: the estimated AUC (CBPE, on the predictions without an
/// outcome) against validation AUC of the served model. Not judged until an estimate
/// exists.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimatedPerformanceDropRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default warning: an estimate, not a measurement).
    pub severity: Severity,
    /// Fires when the estimated AUC is more than this below validation AUC (default
    /// [`DEFAULT_MAX_AUC_DROP`]).
    pub max_drop: Share,
    /// Unlabelled rows the estimate must cover before the rule judges (default
    /// [`DEFAULT_MIN_ESTIMATED_ROWS`]); with fewer, an alert stays as it is.
    pub min_rows: u64,
}

impl Default for EstimatedPerformanceDropRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Warning,
            max_drop: Share(DEFAULT_MAX_AUC_DROP),
            min_rows: DEFAULT_MIN_ESTIMATED_ROWS,
        }
    }
}

/// `[data_quality]`: per feature, the shares of missing values, values outside the
/// training range and categories unseen in training among the newest drift window's
/// predictions. One alert per feature (the subject).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataQualityRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default warning).
    pub severity: Severity,
    /// Fires when a feature's missing share (over the window's rows) is above this
    /// (default [`DEFAULT_MAX_MISSING_SHARE`]).
    pub max_missing_share: Share,
    /// Fires when a numeric feature's share of values outside the training range (over
    /// its present values) is above this (default [`DEFAULT_MAX_OUT_OF_RANGE_SHARE`]).
    pub max_out_of_range_share: Share,
    /// Fires when a categorical feature's share of categories unseen in training (over
    /// its present values) is above this (default
    /// [`DEFAULT_MAX_UNSEEN_CATEGORY_SHARE`]).
    pub max_unseen_category_share: Share,
    /// Rows the window needs before the rule judges (default
    /// [`DEFAULT_MIN_QUALITY_ROWS`]); with fewer, alerts stay as they are.
    pub min_rows: u64,
}

impl Default for DataQualityRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Warning,
            max_missing_share: Share(DEFAULT_MAX_MISSING_SHARE),
            max_out_of_range_share: Share(DEFAULT_MAX_OUT_OF_RANGE_SHARE),
            max_unseen_category_share: Share(DEFAULT_MAX_UNSEEN_CATEGORY_SHARE),
            min_rows: DEFAULT_MIN_QUALITY_ROWS,
        }
    }
}

impl DataQualityRule {
    /// The threshold of one kind of issue.
    #[must_use]
    pub fn threshold(&self, kind: IssueKind) -> Share {
        match kind {
            IssueKind::Missing => self.max_missing_share,
            IssueKind::OutOfRange => self.max_out_of_range_share,
            IssueKind::UnseenCategory => self.max_unseen_category_share,
        }
    }
}

/// `[no_traffic]`: no prediction for a while. Off by default: many models are scored
/// in batches with long quiet spells.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoTrafficRule {
    /// Whether the rule runs (default false).
    pub enabled: bool,
    /// Severity (default warning).
    pub severity: Severity,
    /// Minutes without a prediction before it fires (default
    /// [`DEFAULT_NO_TRAFFIC_MINUTES`], at least 1).
    pub minutes: NonZeroU64,
}

impl Default for NoTrafficRule {
    fn default() -> Self {
        Self {
            enabled: false,
            severity: Severity::Warning,
            minutes: NonZeroU64::new(DEFAULT_NO_TRAFFIC_MINUTES).unwrap_or(NonZeroU64::MIN),
        }
    }
}

/// `[storage_degraded]`: the data directory refuses writes (full or read-only disk).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageDegradedRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default critical: predictions are no longer logged).
    pub severity: Severity,
}

impl Default for StorageDegradedRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Critical,
        }
    }
}

/// `[pipeline_failed]`: the newest training pipeline run failed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineFailedRule {
    /// Whether the rule runs (default true).
    pub enabled: bool,
    /// Severity (default warning: the served model keeps serving).
    pub severity: Severity,
}

impl Default for PipelineFailedRule {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::Warning,
        }
    }
}

/// Every rule's settings. [`AlertRules::default`] holds the built-in defaults; a rules
/// file overrides only the keys it sets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRules {
    /// Minutes after which a firing, unacknowledged alert is notified again (default
    /// [`DEFAULT_RENOTIFY_MINUTES`]; 0: never).
    pub renotify_minutes: u64,
    /// Consecutive evaluations that must judge a firing alert's rule clear before it
    /// resolves (default [`DEFAULT_RESOLVE_AFTER`]; 1: the first clear one resolves it).
    pub resolve_after: NonZeroU32,
    /// The score's PSI.
    pub score_drift: ScoreDriftRule,
    /// The drifted share of features.
    pub feature_drift: FeatureDriftRule,
    /// Production AUC against validation.
    pub performance_drop: PerformanceDropRule,
    /// Estimated AUC against validation.
    pub estimated_performance_drop: EstimatedPerformanceDropRule,
    /// Missing, out-of-range and unseen values per feature.
    pub data_quality: DataQualityRule,
    /// No predictions.
    pub no_traffic: NoTrafficRule,
    /// The data directory refuses writes.
    pub storage_degraded: StorageDegradedRule,
    /// The newest pipeline run failed.
    pub pipeline_failed: PipelineFailedRule,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            renotify_minutes: DEFAULT_RENOTIFY_MINUTES,
            resolve_after: NonZeroU32::new(DEFAULT_RESOLVE_AFTER).unwrap_or(NonZeroU32::MIN),
            score_drift: ScoreDriftRule::default(),
            feature_drift: FeatureDriftRule::default(),
            performance_drop: PerformanceDropRule::default(),
            estimated_performance_drop: EstimatedPerformanceDropRule::default(),
            data_quality: DataQualityRule::default(),
            no_traffic: NoTrafficRule::default(),
            storage_degraded: StorageDegradedRule::default(),
            pipeline_failed: PipelineFailedRule::default(),
        }
    }
}

/// Why a rules file was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertRulesError {
    /// The file could not be read.
    #[error("cannot read alert rules file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, names a key that does not exist, or holds a value
    /// of the wrong type or range.
    #[error("alert rules file {path}:{line}:{column}: key `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// The dotted key at fault (`performance_drop.max_drop`), or the table.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl AlertRules {
    /// Reads and checks the rules file at `path`; keys it leaves out keep their
    /// defaults.
    ///
    /// # Errors
    /// [`AlertRulesError`] naming the file, and for a bad file the line and key.
    pub fn load(path: &Path) -> Result<Self, AlertRulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| AlertRulesError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses rules from `text`, read from `path` (named in errors).
    ///
    /// # Errors
    /// [`AlertRulesError::Invalid`] naming the line and key.
    pub fn parse(path: &Path, text: &str) -> Result<Self, AlertRulesError> {
        toml::from_str(text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            let (line, column) = line_column(text, span.start);
            AlertRulesError::Invalid {
                path: path.to_owned(),
                line,
                column,
                key: key_at(text, &span),
                message: err.message().trim().to_owned(),
            }
        })
    }
}

/// `offset`, or the start of the character it falls inside, within `text`: a parser's
/// span that fell inside a multi-byte character must not make slicing panic.
fn char_floor(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..char_floor(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

/// The dotted key whose line holds `span`: the table header above it, then the key
/// before `=`; the table's name alone when the fault is a header or a whole table.
fn key_at(text: &str, span: &Range<usize>) -> String {
    let start = char_floor(text, span.start);
    let line_start = text[..start].rfind('\n').map_or(0, |nl| nl + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |nl| start + nl);
    let line = text[line_start..line_end].trim();
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[') && l.ends_with(']'))
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    };
    if let Some(table) = header(line) {
        return table;
    }
    let key = line.split('=').next().unwrap_or_default().trim().to_owned();
    let table = text[..line_start].lines().rev().find_map(header);
    match (table, key.is_empty()) {
        (Some(table), false) => format!("{table}.{key}"),
        (Some(table), true) => table,
        (None, _) => key,
    }
}
