//! Why a run could not start, or why it failed.

use super::transition::TransitionError;
use crate::model::{DataError, TrainError};
use crate::store::{RegistryError, StoreError};

/// Why a run could not start, or why it failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The state machine refused the event (a run is already in progress).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The store failed.
    #[error("pipeline store access failed")]
    Store(#[source] StoreError),
    /// The training file name leaves `data/training/`.
    #[error("training file '{0}' must be a plain file name inside data/training/")]
    BadTrainingName(String),
    /// Reading or checking the data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The validation file does not follow the training file's columns.
    #[error("validation set is empty")]
    EmptyValidation,
    /// Training or evaluation failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Publishing failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The run was cancelled.
    #[error("run cancelled")]
    Cancelled,
    /// The stored status no longer says this run is running: its lease expired (this
    /// process stopped renewing it in time) and another process recorded it interrupted.
    #[error(
        "pipeline run {run_id} is no longer the running one: its lease expired and another process recorded it interrupted"
    )]
    LeaseLost {
        /// The run this process was running.
        run_id: String,
    },
}
