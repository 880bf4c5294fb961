//! The training pipeline: its state machine, persisted status and runner.

mod runner;
mod transition;

pub use runner::{
    DEFAULT_MIN_PRODUCTION_ROWS, DEFAULT_TRAINING_FILE, PRODUCTION_SOURCE, PipelineError,
    PipelineRunner, RunReport, RunRequest, TrainingData, Validation,
};
pub use transition::{INTERRUPTED, PipelineEvent, TransitionError, transition};

#[cfg(test)]
mod tests;
