//! Predictions joined with their late outcomes: the one join that production metrics
//! and retraining on production rows both use.

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::StoreError;
use super::outcomes::OutcomeLog;
use crate::records::prediction_key;

/// The label of every prediction that has an outcome, keyed by [`prediction_key`]; when a
/// prediction has several outcome rows (an imported log), the last one read wins.
///
/// # Errors
/// When the outcome log cannot be read.
pub fn outcome_labels(outcomes: &dyn OutcomeLog) -> Result<HashMap<u128, bool>, StoreError> {
    let mut labels = HashMap::new();
    outcomes.scan(&mut |record| {
        labels.insert(prediction_key(&record.prediction_id), record.actual == 1);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(labels)
}

/// Where each `wanted` feature sits among the prediction log's feature columns; `None`
/// for a feature the log does not have (a log written for another feature set).
#[must_use]
pub fn feature_positions<'a>(
    wanted: impl IntoIterator<Item = &'a str>,
    log_features: &[String],
) -> Vec<Option<usize>> {
    wanted
        .into_iter()
        .map(|name| log_features.iter().position(|logged| logged == name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_wanted_order_and_name_missing_features() {
        let log = ["age".to_owned(), "income".to_owned(), "region".to_owned()];
        assert_eq!(
            feature_positions(["region", "tenure", "age"], &log),
            [Some(2), None, Some(0)]
        );
    }
}
