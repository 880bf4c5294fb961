//! The training pipeline: its state machine, persisted status and runner.

mod data;
mod error;
mod request;
mod runner;
mod transition;

pub use data::check_training_set;
pub use error::PipelineError;
pub use request::{
    DEFAULT_MIN_PRODUCTION_ROWS, DEFAULT_TRAINING_FILE, RunRequest, TrainingData, Validation,
};
pub use runner::{PipelineRunner, RunReport};
pub use transition::TransitionError;
#[cfg(feature = "testing")]
pub use {request::PRODUCTION_SOURCE, transition::INTERRUPTED};

#[cfg(test)]
mod tests;
