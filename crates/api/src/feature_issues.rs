//! `scorewatch_feature_issues_total`: data-quality issues of served predictions, counted
//! per feature and kind of issue without a lock on the request path.
//!
//! The counters are keyed by feature name for the life of the process, so a promotion
//! that keeps a feature keeps its counter running (a Prometheus counter only goes back to
//! 0 when the process restarts). A served model takes its features' counters once, when
//! it starts being served; a request then only does atomic adds.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use scorewatch_core::IssueKind;

use crate::prometheus::escape;

/// The issue counts of one feature, one atomic per [`IssueKind`].
#[derive(Debug, Default)]
pub struct IssueCounts {
    by_kind: [AtomicU64; IssueKind::ALL.len()],
}

impl IssueCounts {
    /// Counts one issue.
    pub fn add(&self, kind: IssueKind) {
        self.by_kind[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Issues of `kind` counted so far.
    #[must_use]
    pub fn get(&self, kind: IssueKind) -> u64 {
        self.by_kind[kind.index()].load(Ordering::Relaxed)
    }
}

/// Every feature's issue counts since the server started.
#[derive(Debug, Default)]
pub struct FeatureIssues {
    /// Feature name and counts, sorted by name. Written only when a model with a new
    /// feature starts being served.
    features: RwLock<Vec<(String, Arc<IssueCounts>)>>,
}

impl FeatureIssues {
    /// The counters of `names`, in that order, creating those not seen before.
    #[must_use]
    pub fn counters_for(&self, names: &[String]) -> Vec<Arc<IssueCounts>> {
        let mut features = self
            .features
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        names
            .iter()
            .map(|name| {
                let at = match features.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
                    Ok(at) => at,
                    Err(at) => {
                        features.insert(at, (name.clone(), Arc::default()));
                        at
                    }
                };
                Arc::clone(&features[at].1)
            })
            .collect()
    }

    /// Issues of `kind` counted for `feature` (0 for a feature never served).
    #[must_use]
    pub fn get(&self, feature: &str, kind: IssueKind) -> u64 {
        let features = self.features.read().unwrap_or_else(PoisonError::into_inner);
        features
            .iter()
            .find(|(name, _)| name == feature)
            .map_or(0, |(_, counts)| counts.get(kind))
    }

    /// Appends the counter family in text format: one series per feature ever served and
    /// kind of issue, zeros included, so that `increase()` sees the first issue.
    pub fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP scorewatch_feature_issues_total Data-quality issues of served predictions \
             by feature and issue: a missing value, a numeric value outside the training \
             range, a category unseen in training.\n",
        );
        out.push_str("# TYPE scorewatch_feature_issues_total counter\n");
        let features = self.features.read().unwrap_or_else(PoisonError::into_inner);
        for (name, counts) in features.iter() {
            let feature = escape(name);
            for kind in IssueKind::ALL {
                let _ = writeln!(
                    out,
                    "scorewatch_feature_issues_total{{feature=\"{feature}\",issue=\"{}\"}} {}",
                    kind.as_str(),
                    counts.get(kind)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_keeps_its_counter_across_models() {
        let issues = FeatureIssues::default();
        let first = issues.counters_for(&["b".to_owned(), "a".to_owned()]);
        first[0].add(IssueKind::Missing);
        first[1].add(IssueKind::OutOfRange);
        // The next model keeps `a` and adds `c`.
        let second = issues.counters_for(&["c".to_owned(), "a".to_owned()]);
        second[1].add(IssueKind::OutOfRange);
        assert_eq!(issues.get("a", IssueKind::OutOfRange), 2);
        assert_eq!(issues.get("b", IssueKind::Missing), 1);
        assert_eq!(issues.get("c", IssueKind::Missing), 0);
        assert_eq!(issues.get("never", IssueKind::Missing), 0);
    }

    #[test]
    fn the_exposition_has_every_feature_and_kind_sorted_and_escaped() {
        let issues = FeatureIssues::default();
        let counts = issues.counters_for(&["zeta".to_owned(), "a\"b".to_owned()]);
        counts[0].add(IssueKind::UnseenCategory);
        let mut out = String::new();
        issues.render(&mut out);
        let series: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            series,
            [
                "scorewatch_feature_issues_total{feature=\"a\\\"b\",issue=\"missing\"} 0",
                "scorewatch_feature_issues_total{feature=\"a\\\"b\",issue=\"out_of_range\"} 0",
                "scorewatch_feature_issues_total{feature=\"a\\\"b\",issue=\"unseen_category\"} 0",
                "scorewatch_feature_issues_total{feature=\"zeta\",issue=\"missing\"} 0",
                "scorewatch_feature_issues_total{feature=\"zeta\",issue=\"out_of_range\"} 0",
                "scorewatch_feature_issues_total{feature=\"zeta\",issue=\"unseen_category\"} 1",
            ]
        );
    }
}
