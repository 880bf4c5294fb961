//! The report-level verdict: is this window drifted, and which rule says so.
//!
//! Two rules, either one is enough:
//! - `score_psi`: the model score's PSI band is significant (PSI >= 0.25). For a scoring
//!   model the score's distribution is the primary stability index, so it decides on its
//!   own, whatever share of the features drifted.
//! - `feature_share`: the share of drifted features reaches the dataset threshold (the
//!   report's `dataset_drift`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::report::{FeatureDrift, PsiBand};

/// Whether a report as a whole shows drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum VerdictStatus {
    /// At least one rule fired.
    Drifted,
    /// No rule fired.
    Stable,
}

/// One rule that fired, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum VerdictReason {
    /// The model score's PSI band is significant.
    ScorePsi {
        /// The score's PSI.
        psi: f64,
        /// Its band (always `significant` when this rule fires).
        band: PsiBand,
    },
    /// The share of drifted features reached the dataset threshold.
    FeatureShare {
        /// Share of the judged features that drifted.
        share: f64,
        /// The report's `dataset_drift_threshold`.
        threshold: f64,
        /// The drifted features, in schema order.
        drifted_features: Vec<String>,
    },
}

impl fmt::Display for VerdictReason {
    /// One line for people: the dashboard badge and the CLI print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ScorePsi { psi, .. } => write!(f, "Score drift: PSI {psi:.2}"),
            // The names stay out: a badge has room for one line, and the feature table
            // beside it marks each drifted feature.
            Self::FeatureShare {
                share, threshold, ..
            } => write!(
                f,
                "Feature drift: {:.0}% of features (threshold {:.0}%)",
                share * 100.0,
                threshold * 100.0
            ),
        }
    }
}

/// The report-level verdict and the rules that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftVerdict {
    /// `drifted` when at least one rule fired.
    pub status: VerdictStatus,
    /// The rules that fired, score first; empty when `stable`.
    pub reasons: Vec<VerdictReason>,
}

impl DriftVerdict {
    /// Applies both rules to a report's parts.
    ///
    /// `dataset_drift` is the feature rule's outcome as the report computed it
    /// (`drifted_share >= threshold` over at least one judged feature), passed in rather
    /// than recomputed so the verdict can never disagree with the report's own field.
    #[must_use]
    pub fn judge(
        score: Option<&FeatureDrift>,
        features: &[FeatureDrift],
        drifted_share: f64,
        threshold: f64,
        dataset_drift: bool,
    ) -> Self {
        let mut reasons = Vec::new();
        if let Some(FeatureDrift {
            psi: Some(psi),
            psi_band: Some(band @ PsiBand::Significant),
            ..
        }) = score
        {
            reasons.push(VerdictReason::ScorePsi {
                psi: *psi,
                band: *band,
            });
        }
        if dataset_drift {
            reasons.push(VerdictReason::FeatureShare {
                share: drifted_share,
                threshold,
                drifted_features: features
                    .iter()
                    .filter(|f| f.drifted)
                    .map(|f| f.name.clone())
                    .collect(),
            });
        }
        let status = if reasons.is_empty() {
            VerdictStatus::Stable
        } else {
            VerdictStatus::Drifted
        };
        Self { status, reasons }
    }

    /// Whether the report is drifted.
    #[must_use]
    pub fn is_drifted(&self) -> bool {
        self.status == VerdictStatus::Drifted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::FeatureKind;

    fn entry(name: &str, psi: f64, drifted: bool) -> FeatureDrift {
        FeatureDrift {
            name: name.to_owned(),
            kind: FeatureKind::Numeric,
            n_reference: 100,
            n_current: 100,
            missing_reference: 0.0,
            missing_current: 0.0,
            psi: Some(psi),
            psi_band: Some(PsiBand::from_psi(psi)),
            bins: Vec::new(),
            ks: None,
            chi2: None,
            drifted,
            reason: String::new(),
        }
    }

    /// 12 features, `n` of them drifted, under the default 0.5 threshold.
    fn features(n: usize) -> (Vec<FeatureDrift>, f64, bool) {
        let list: Vec<_> = (0..12)
            .map(|i| {
                let drifted = i < n;
                entry(&format!("f{i}"), if drifted { 0.3 } else { 0.01 }, drifted)
            })
            .collect();
        let share = n as f64 / 12.0;
        (list, share, share >= 0.5)
    }

    #[test]
    fn issue_16_significant_score_with_few_drifted_features_is_drifted() {
        let (features, share, dataset_drift) = features(2);
        let score = entry("score", 0.29, false);
        let verdict = DriftVerdict::judge(Some(&score), &features, share, 0.5, dataset_drift);
        assert!(!dataset_drift);
        assert_eq!(verdict.status, VerdictStatus::Drifted);
        assert_eq!(
            verdict.reasons,
            [VerdictReason::ScorePsi {
                psi: 0.29,
                band: PsiBand::Significant
            }]
        );
        assert_eq!(verdict.reasons[0].to_string(), "Score drift: PSI 0.29");
    }

    #[test]
    fn many_drifted_features_fire_the_feature_rule() {
        let (features, share, dataset_drift) = features(7);
        let score = entry("score", 0.05, false);
        let verdict = DriftVerdict::judge(Some(&score), &features, share, 0.5, dataset_drift);
        assert_eq!(verdict.status, VerdictStatus::Drifted);
        let [
            VerdictReason::FeatureShare {
                share: got,
                threshold,
                drifted_features,
            },
        ] = verdict.reasons.as_slice()
        else {
            panic!("expected only feature_share: {verdict:?}")
        };
        assert!((got - 7.0 / 12.0).abs() < 1e-12);
        assert!((threshold - 0.5).abs() < 1e-12);
        assert_eq!(
            drifted_features,
            &["f0", "f1", "f2", "f3", "f4", "f5", "f6"]
        );
        assert_eq!(
            verdict.reasons[0].to_string(),
            "Feature drift: 58% of features (threshold 50%)"
        );
    }

    #[test]
    fn both_rules_fire_score_first() {
        let (features, share, dataset_drift) = features(9);
        let score = entry("score", 0.4, true);
        let verdict = DriftVerdict::judge(Some(&score), &features, share, 0.5, dataset_drift);
        assert_eq!(verdict.status, VerdictStatus::Drifted);
        assert!(matches!(
            verdict.reasons.as_slice(),
            [
                VerdictReason::ScorePsi { .. },
                VerdictReason::FeatureShare { .. }
            ]
        ));
    }

    #[test]
    fn a_moderate_score_and_few_features_is_stable() {
        let (features, share, dataset_drift) = features(1);
        // Moderate (0.1 to < 0.25) is a warning, not a verdict; 0.2499 sits just below.
        let score = entry("score", 0.2499, true);
        let verdict = DriftVerdict::judge(Some(&score), &features, share, 0.5, dataset_drift);
        assert_eq!(verdict.status, VerdictStatus::Stable);
        assert!(verdict.reasons.is_empty());
        assert!(!verdict.is_drifted());
    }

    #[test]
    fn without_a_score_only_the_feature_rule_decides() {
        let (few, share, dataset_drift) = features(3);
        let verdict = DriftVerdict::judge(None, &few, share, 0.5, dataset_drift);
        assert_eq!(verdict.status, VerdictStatus::Stable);
        let (many, share, dataset_drift) = features(6);
        let verdict = DriftVerdict::judge(None, &many, share, 0.5, dataset_drift);
        assert!(matches!(
            verdict.reasons.as_slice(),
            [VerdictReason::FeatureShare { .. }]
        ));
    }

    #[test]
    fn a_score_without_enough_data_does_not_fire() {
        let mut score = entry("score", 0.0, false);
        score.psi = None;
        score.psi_band = None;
        let verdict = DriftVerdict::judge(Some(&score), &[], 0.0, 0.5, false);
        assert_eq!(verdict.status, VerdictStatus::Stable);
    }
}
