//! The training pipeline: its state machine and persisted status.

mod state;

pub use state::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
