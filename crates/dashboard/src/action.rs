//! [`Action`]: what a tab or the app's chrome asks the app to do. The tabs push actions and
//! the app carries them out, so neither depends on the other.

use scorewatch_core::AlertState;
use scorewatch_core::views::RunPipelineRequest;

use crate::settings::Tab;

/// What a tab or the chrome asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Re-read everything.
    Refresh,
    /// Start a pipeline run.
    RunPipeline(RunPipelineRequest),
    /// Cancel the running pipeline.
    CancelPipeline,
    /// Compute a drift report now.
    RunDriftCheck,
    /// Fetch the HTML report and save it in the report directory.
    ExportReport,
    /// Show a drift report: `None` for the latest.
    ShowDriftReport(Option<String>),
    /// Show drift per segment of a column: `None` hides the segments.
    SegmentDriftBy(Option<String>),
    /// Ask for the segments again with this minimum of rows per side.
    SegmentMinRows(u64),
    /// Apply the predictions filter (first page).
    ReloadPredictions,
    /// Append the next page of predictions.
    LoadMorePredictions,
    /// Append pages until 10,000 predictions are loaded or none are left.
    LoadManyPredictions,
    /// Use another API URL.
    SetApiUrl(String),
    /// The key was edited in Settings: forget the refusals of the old one and re-read.
    KeyChanged,
    /// Open a tab.
    SelectTab(Tab),
    /// List the alerts in this state on the Alerts tab (`None`: all).
    FilterAlerts(Option<AlertState>),
    /// Acknowledge the alert with this id.
    AckAlert(String),
}
