//! The promotion rule: whether a newly trained model replaces the current one.

use super::artifact::{ModelVersion, Promotion};

/// Default tolerance of the promotion rule.
pub const DEFAULT_AUC_TOLERANCE: f64 = 0.01;

/// The promotion rule's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PromotionPolicy {
    /// A new model may be this much worse in validation AUC than the current one.
    pub auc_tolerance: f64,
    /// Promote whatever the metrics say.
    pub force: bool,
}

impl Default for PromotionPolicy {
    fn default() -> Self {
        Self {
            auc_tolerance: DEFAULT_AUC_TOLERANCE,
            force: false,
        }
    }
}

/// Decides whether a new model replaces the current one.
///
/// The first model is always promoted, and so is any with `force`. Otherwise the new
/// model is promoted when its validation AUC is at least the current model's minus the
/// tolerance; when the current model has no validation AUC the new one wins, and a new
/// model without one is rejected.
#[must_use]
pub fn decide_promotion(
    new_auc: Option<f64>,
    current: Option<(&ModelVersion, Option<f64>)>,
    policy: &PromotionPolicy,
) -> Promotion {
    let previous = current.map(|(v, _)| v.to_string());
    let (promoted, reason) = match current {
        None => (true, "first model".to_owned()),
        Some(_) if policy.force => (true, "forced".to_owned()),
        Some((_, current_auc)) => match (new_auc, current_auc) {
            (None, _) => (false, "validation auc is undefined".to_owned()),
            (Some(_), None) => (true, "current model has no validation auc".to_owned()),
            (Some(new), Some(old)) if new >= old - policy.auc_tolerance => (
                true,
                format!(
                    "validation auc {new:.4} >= current {old:.4} - tolerance {}",
                    policy.auc_tolerance
                ),
            ),
            (Some(new), Some(old)) => (
                false,
                format!(
                    "validation auc {new:.4} is below current {old:.4} - tolerance {}",
                    policy.auc_tolerance
                ),
            ),
        },
    };
    Promotion {
        promoted,
        reason,
        previous,
    }
}

/// The decision when the current model's file does not load: an I/O error is not that
/// (the disk may come back), but a file that does not parse or validate never will.
/// Every model store decides so, through `store::decide_against_current`.
#[must_use]
pub fn replaces_broken(current: &ModelVersion, why: &str) -> Promotion {
    Promotion {
        promoted: true,
        reason: format!("current model {current} does not load: {why}"),
        previous: Some(current.to_string()),
    }
}
