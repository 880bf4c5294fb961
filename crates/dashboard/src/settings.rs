//! Settings remembered between runs (eframe persistence): the API URL, the open [`Tab`],
//! refresh and paging choices.

use scorewatch_core::MetricName;
use serde::{Deserialize, Serialize};

/// The default API address, as `scorewatch serve` binds it.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8000";

/// The tabs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Model, KPIs, volume, drift verdict, pipeline state.
    #[default]
    Overview,
    /// Metrics over time.
    Metrics,
    /// The drift report.
    Drift,
    /// Alerts, firing and resolved, with their delivery; ack.
    Alerts,
    /// The prediction log.
    Predictions,
    /// Training runs.
    Pipeline,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Self; 6] = [
        Self::Overview,
        Self::Metrics,
        Self::Drift,
        Self::Alerts,
        Self::Predictions,
        Self::Pipeline,
    ];

    /// The tab's title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Metrics => "Metrics history",
            Self::Drift => "Drift",
            Self::Alerts => "Alerts",
            Self::Predictions => "Predictions",
            Self::Pipeline => "Pipeline",
        }
    }
}

/// Settings remembered between runs (eframe persistence). New fields must have a default
/// so older saved settings still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Base URL of the API.
    pub api_url: String,
    /// The open tab.
    pub tab: Tab,
    /// Whether to refresh on a timer.
    pub auto_refresh: bool,
    /// Seconds between automatic refreshes.
    pub refresh_seconds: u32,
    /// Metric names drawn in the history plot.
    pub shown_metrics: Vec<String>,
    /// Predictions per page.
    pub page_size: usize,
    /// History entries fetched for the metrics plot.
    pub metrics_history_limit: usize,
    /// Drift summaries fetched for the report selector.
    pub drift_history: usize,
    /// Whether the user asked to store the API key (in plain text) with these settings.
    pub remember_key: bool,
    /// The key, only when `remember_key` is set; filled at save time.
    pub remembered_key: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_owned(),
            tab: Tab::Overview,
            auto_refresh: true,
            refresh_seconds: 10,
            shown_metrics: [MetricName::RocAuc, MetricName::Gini, MetricName::Ks]
                .map(|metric| metric.as_str().to_owned())
                .to_vec(),
            page_size: 500,
            metrics_history_limit: 500,
            drift_history: 20,
            remember_key: false,
            remembered_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_load_with_missing_fields_and_never_hold_the_key_by_default() {
        let settings: Settings =
            serde_json::from_str(r#"{"api_url":"http://h:1","tab":"Drift"}"#).unwrap();
        assert_eq!(settings.api_url, "http://h:1");
        assert_eq!(settings.tab, Tab::Drift);
        assert_eq!(
            settings.refresh_seconds,
            Settings::default().refresh_seconds
        );
        assert!(!settings.remember_key && settings.remembered_key.is_none());
    }

    #[test]
    fn default_shown_metrics_are_the_json_names_of_auc_gini_and_ks() {
        // Saved settings hold these strings; they must stay the history keys core writes.
        assert_eq!(Settings::default().shown_metrics, ["roc_auc", "gini", "ks"]);
    }
}
