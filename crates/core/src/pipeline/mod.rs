//! The training pipeline: its state machine and persisted status.

mod state;
mod transition;

pub use state::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
pub use transition::{INTERRUPTED, PipelineEvent, TransitionError, state_name, transition};
