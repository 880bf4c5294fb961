//! The training pipeline's persisted status (`pipeline_status.json`): states, stages,
//! finished runs and the data sets they trained on.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading the training files and production rows.
    LoadingData,
    /// Checking the data against the schema.
    Validating,
    /// Fitting the model.
    Training,
    /// Computing validation metrics.
    Evaluating,
    /// Building the drift reference profile.
    Profiling,
    /// Writing the model version and deciding promotion.
    Publishing,
}

impl Stage {
    /// Every stage, in the order a run goes through them.
    pub const ALL: [Stage; 6] = [
        Stage::LoadingData,
        Stage::Validating,
        Stage::Training,
        Stage::Evaluating,
        Stage::Profiling,
        Stage::Publishing,
    ];

    /// The stage's name for people: `loading data`, `validating`, ...
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Stage::LoadingData => "loading data",
            Stage::Validating => "validating",
            Stage::Training => "training",
            Stage::Evaluating => "evaluating",
            Stage::Profiling => "profiling",
            Stage::Publishing => "publishing",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The state of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PipelineState {
    /// No run has happened, or the last one was acknowledged.
    Idle,
    /// A run is in progress.
    Running {
        /// Id of the run.
        run_id: String,
        /// Current stage.
        stage: Stage,
        /// Progress of the whole run in [0, 1].
        progress: f64,
        /// When the run started.
        #[serde(with = "time::serde::rfc3339")]
        started_at: OffsetDateTime,
    },
    /// The last run finished and published a model (promoted or rejected).
    Succeeded {
        /// Id of the run.
        run_id: String,
        /// The model version it produced.
        model_version: String,
        /// When it finished.
        #[serde(with = "time::serde::rfc3339")]
        finished_at: OffsetDateTime,
    },
    /// The last run failed.
    Failed {
        /// Id of the run.
        run_id: String,
        /// What went wrong.
        error: String,
        /// When it failed.
        #[serde(with = "time::serde::rfc3339")]
        finished_at: OffsetDateTime,
    },
    /// The last run was cancelled.
    Cancelled {
        /// Id of the run.
        run_id: String,
        /// When it stopped.
        #[serde(with = "time::serde::rfc3339")]
        finished_at: OffsetDateTime,
    },
}

impl PipelineState {
    /// The name of every state, as [`PipelineState::name`] gives it.
    pub const NAMES: [&'static str; 5] = ["idle", "running", "succeeded", "failed", "cancelled"];

    /// The state's name, as serialised in its `state` tag.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            PipelineState::Idle => "idle",
            PipelineState::Running { .. } => "running",
            PipelineState::Succeeded { .. } => "succeeded",
            PipelineState::Failed { .. } => "failed",
            PipelineState::Cancelled { .. } => "cancelled",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// A new model was published and became current.
    Promoted,
    /// A new model was published but kept as rejected.
    Rejected,
    /// The run failed.
    Failed,
    /// The run was cancelled.
    Cancelled,
}

/// One finished run, kept in the status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRecord {
    /// Id of the run.
    pub run_id: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The stage it was in when it ended.
    pub last_stage: Option<Stage>,
    /// The model version produced, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// Error or rejection reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Stage name to seconds spent in it.
    #[serde(default)]
    pub stage_seconds: Vec<(Stage, f64)>,
    /// The data the run trained on (file names, row counts, sha256).
    #[serde(default)]
    pub data: Vec<DataSource>,
}

/// A data set a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSource {
    /// File name inside `data/training/`, or `production` for labelled predictions.
    pub name: String,
    /// Rows used.
    pub rows: u64,
    /// sha256 of the file, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The content of `pipeline_status.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineStatus {
    /// File format version.
    pub schema_version: u32,
    /// The current state.
    #[serde(flatten)]
    pub state: PipelineState,
    /// The most recent finished runs, newest last (bounded, default 20).
    pub runs: Vec<RunRecord>,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn state_names_are_the_serialised_tags() {
        let at = datetime!(2026-03-01 12:00 UTC);
        let run_id = "r".to_owned();
        let states = [
            PipelineState::Idle,
            PipelineState::Running {
                run_id: run_id.clone(),
                stage: Stage::Training,
                progress: 0.5,
                started_at: at,
            },
            PipelineState::Succeeded {
                run_id: run_id.clone(),
                model_version: "v".into(),
                finished_at: at,
            },
            PipelineState::Failed {
                run_id: run_id.clone(),
                error: "e".into(),
                finished_at: at,
            },
            PipelineState::Cancelled {
                run_id,
                finished_at: at,
            },
        ];
        for (state, name) in states.iter().zip(PipelineState::NAMES) {
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json["state"], name);
            assert_eq!(state.name(), name);
        }
    }

    #[test]
    fn stages_are_listed_in_run_order_and_read_as_words() {
        let mut sorted = Stage::ALL;
        sorted.sort();
        assert_eq!(sorted, Stage::ALL);
        assert_eq!(Stage::LoadingData.to_string(), "loading data");
        assert_eq!(format!("{}", Stage::Publishing), "publishing");
    }
}
