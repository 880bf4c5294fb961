//! The pipeline's state machine as one pure function.

use time::OffsetDateTime;

use crate::records::{PipelineState, Stage};

/// Something that happens to the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineEvent {
    /// A run starts (from any state but Running).
    Start {
        /// Id of the new run.
        run_id: String,
        /// When.
        at: OffsetDateTime,
    },
    /// The running run reached `stage` with overall `progress` in [0, 1].
    Advance {
        /// The stage now running (never earlier than the current one).
        stage: Stage,
        /// Progress of the whole run (never lower than the current one).
        progress: f64,
    },
    /// The running run published a model.
    Succeed {
        /// The model version it produced.
        model_version: String,
        /// When.
        at: OffsetDateTime,
    },
    /// The running run failed.
    Fail {
        /// What went wrong.
        error: String,
        /// When.
        at: OffsetDateTime,
    },
    /// The running run stopped on request.
    Cancel {
        /// When.
        at: OffsetDateTime,
    },
    /// Start-up found the state as the last process left it: a Running state means that
    /// process died, so the run becomes Failed with "interrupted"; any other state is kept.
    RecoverInterrupted {
        /// When.
        at: OffsetDateTime,
    },
}

impl PipelineEvent {
    /// Short name for messages.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            PipelineEvent::Start { .. } => "start",
            PipelineEvent::Advance { .. } => "advance",
            PipelineEvent::Succeed { .. } => "succeed",
            PipelineEvent::Fail { .. } => "fail",
            PipelineEvent::Cancel { .. } => "cancel",
            PipelineEvent::RecoverInterrupted { .. } => "recover_interrupted",
        }
    }
}

/// The error of the interrupted-run recovery.
pub const INTERRUPTED: &str = "interrupted";

/// An event that is illegal in the current state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    /// The event does not apply to the state.
    #[error("cannot {event} while the pipeline is {state}")]
    NotAllowed {
        /// The state's name.
        state: &'static str,
        /// The event's name.
        event: &'static str,
    },
    /// A run is in progress; only one may run at a time.
    #[error("a pipeline run ({run_id}) is already running")]
    AlreadyRunning {
        /// The running run.
        run_id: String,
    },
    /// Stages only move forward.
    #[error("cannot go back from stage {from:?} to {to:?}")]
    StageBackwards {
        /// Current stage.
        from: Stage,
        /// Requested stage.
        to: Stage,
    },
    /// Progress must be in [0, 1] and not decrease.
    #[error("progress {to} is invalid after {from} (must be in [0, 1] and not decrease)")]
    InvalidProgress {
        /// Current progress.
        from: f64,
        /// Requested progress.
        to: f64,
    },
}

/// The next state after `event`, or why the event is illegal.
///
/// Allowed: Start from Idle, Succeeded, Failed or Cancelled; Advance, Succeed, Fail and
/// Cancel from Running; `RecoverInterrupted` from any state (Running becomes Failed
/// "interrupted", others stay).
///
/// # Errors
/// [`TransitionError`] for every other combination, and for an Advance that moves the
/// stage back or the progress down or out of [0, 1].
pub fn transition(
    state: &PipelineState,
    event: PipelineEvent,
) -> Result<PipelineState, TransitionError> {
    let not_allowed = |event: &PipelineEvent| TransitionError::NotAllowed {
        state: state.name(),
        event: event.name(),
    };
    match (state, event) {
        (PipelineState::Running { run_id, .. }, PipelineEvent::Start { .. }) => {
            Err(TransitionError::AlreadyRunning {
                run_id: run_id.clone(),
            })
        }
        (_, PipelineEvent::Start { run_id, at }) => Ok(PipelineState::Running {
            run_id,
            stage: Stage::LoadingData,
            progress: 0.0,
            started_at: at,
        }),
        (
            PipelineState::Running {
                run_id,
                stage: current,
                progress: done,
                started_at,
            },
            PipelineEvent::Advance { stage, progress },
        ) => {
            if stage < *current {
                return Err(TransitionError::StageBackwards {
                    from: *current,
                    to: stage,
                });
            }
            if !(0.0..=1.0).contains(&progress) || progress < *done {
                return Err(TransitionError::InvalidProgress {
                    from: *done,
                    to: progress,
                });
            }
            Ok(PipelineState::Running {
                run_id: run_id.clone(),
                stage,
                progress,
                started_at: *started_at,
            })
        }
        (PipelineState::Running { run_id, .. }, PipelineEvent::Succeed { model_version, at }) => {
            Ok(PipelineState::Succeeded {
                run_id: run_id.clone(),
                model_version,
                finished_at: at,
            })
        }
        (PipelineState::Running { run_id, .. }, PipelineEvent::Fail { error, at }) => {
            Ok(PipelineState::Failed {
                run_id: run_id.clone(),
                error,
                finished_at: at,
            })
        }
        (PipelineState::Running { run_id, .. }, PipelineEvent::Cancel { at }) => {
            Ok(PipelineState::Cancelled {
                run_id: run_id.clone(),
                finished_at: at,
            })
        }
        (PipelineState::Running { run_id, .. }, PipelineEvent::RecoverInterrupted { at }) => {
            Ok(PipelineState::Failed {
                run_id: run_id.clone(),
                error: INTERRUPTED.to_owned(),
                finished_at: at,
            })
        }
        (_, PipelineEvent::RecoverInterrupted { .. }) => Ok(state.clone()),
        (_, event) => Err(not_allowed(&event)),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2025-01-01 00:00 UTC);
    const T1: OffsetDateTime = datetime!(2025-01-01 00:05 UTC);

    fn running(stage: Stage, progress: f64) -> PipelineState {
        PipelineState::Running {
            run_id: "r1".into(),
            stage,
            progress,
            started_at: T0,
        }
    }

    fn states() -> Vec<(&'static str, PipelineState)> {
        vec![
            ("idle", PipelineState::Idle),
            ("running", running(Stage::Training, 0.5)),
            (
                "succeeded",
                PipelineState::Succeeded {
                    run_id: "r0".into(),
                    model_version: "v0".into(),
                    finished_at: T0,
                },
            ),
            (
                "failed",
                PipelineState::Failed {
                    run_id: "r0".into(),
                    error: "boom".into(),
                    finished_at: T0,
                },
            ),
            (
                "cancelled",
                PipelineState::Cancelled {
                    run_id: "r0".into(),
                    finished_at: T0,
                },
            ),
        ]
    }

    fn events() -> Vec<PipelineEvent> {
        vec![
            PipelineEvent::Start {
                run_id: "r2".into(),
                at: T1,
            },
            PipelineEvent::Advance {
                stage: Stage::Evaluating,
                progress: 0.6,
            },
            PipelineEvent::Succeed {
                model_version: "v1".into(),
                at: T1,
            },
            PipelineEvent::Fail {
                error: "bad".into(),
                at: T1,
            },
            PipelineEvent::Cancel { at: T1 },
            PipelineEvent::RecoverInterrupted { at: T1 },
        ]
    }

    /// The expected outcome of every (state, event) pair; `None` is forbidden.
    #[allow(clippy::match_same_arms)] // one arm per row of the table reads better
    fn expected(state: &str, event: &PipelineEvent) -> Option<PipelineState> {
        let finished = |s: &PipelineState| s.clone();
        let from = states().into_iter().find(|(n, _)| *n == state).unwrap().1;
        match (state, event.name()) {
            ("running", "start") => None,
            (_, "start") => Some(PipelineState::Running {
                run_id: "r2".into(),
                stage: Stage::LoadingData,
                progress: 0.0,
                started_at: T1,
            }),
            ("running", "advance") => Some(running(Stage::Evaluating, 0.6)),
            ("running", "succeed") => Some(PipelineState::Succeeded {
                run_id: "r1".into(),
                model_version: "v1".into(),
                finished_at: T1,
            }),
            ("running", "fail") => Some(PipelineState::Failed {
                run_id: "r1".into(),
                error: "bad".into(),
                finished_at: T1,
            }),
            ("running", "cancel") => Some(PipelineState::Cancelled {
                run_id: "r1".into(),
                finished_at: T1,
            }),
            ("running", "recover_interrupted") => Some(PipelineState::Failed {
                run_id: "r1".into(),
                error: "interrupted".into(),
                finished_at: T1,
            }),
            (_, "recover_interrupted") => Some(finished(&from)),
            _ => None,
        }
    }

    #[test]
    fn every_state_and_event_pair() {
        let mut checked = 0;
        for (name, state) in states() {
            for event in events() {
                let label = format!("{name} + {}", event.name());
                let want = expected(name, &event);
                let got = transition(&state, event);
                match want {
                    Some(next) => assert_eq!(got.as_ref(), Ok(&next), "{label}"),
                    None => assert!(got.is_err(), "{label} should be forbidden: {got:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 30);
    }

    #[test]
    fn advance_only_moves_forward() {
        let state = running(Stage::Training, 0.5);
        let back = transition(
            &state,
            PipelineEvent::Advance {
                stage: Stage::Validating,
                progress: 0.6,
            },
        );
        assert!(matches!(back, Err(TransitionError::StageBackwards { .. })));
        for progress in [0.4, 1.5, f64::NAN] {
            let bad = transition(
                &state,
                PipelineEvent::Advance {
                    stage: Stage::Training,
                    progress,
                },
            );
            assert!(
                matches!(bad, Err(TransitionError::InvalidProgress { .. })),
                "{progress}"
            );
        }
    }

    #[test]
    fn second_start_names_the_running_run() {
        let err = transition(
            &running(Stage::LoadingData, 0.0),
            PipelineEvent::Start {
                run_id: "x".into(),
                at: T1,
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "a pipeline run (r1) is already running");
    }
}
