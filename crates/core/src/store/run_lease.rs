//! The running pipeline run's lease: how processes sharing one store agree on who runs
//! the run, notice when that process died, and ask it to stop.
//!
//! The process that starts a run takes the lease; while the run goes on it renews it
//! every [`RUN_LEASE_RENEW`], and the same call tells it whether another process asked
//! for a cancel. A lease not renewed for [`RUN_LEASE`] has expired: its holder is taken
//! for dead, and the next process that updates the status records the run interrupted.
//! The file backend has one process (its directory lock says so) and keeps the lease in
//! memory, where a restart finds none: a run left running is interrupted, as ever.

use std::time::Duration;

use crate::records::PipelineState;

/// How long a run's lease lasts without renewal: the longest a dead process's run stays
/// `running` before another process records it interrupted.
pub const RUN_LEASE: Duration = Duration::from_secs(15);

/// How often the process running a run renews its lease and looks for a cancel request
/// (so a cancel from another process is seen within about this long, plus the wait for
/// the next stage boundary or IRLS iteration).
pub const RUN_LEASE_RENEW: Duration = Duration::from_secs(1);

/// The process that takes or renews a lease, and for how long a renewal lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// Names the process (unique per pipeline runner).
    pub owner: String,
    /// The lease length, [`RUN_LEASE`] outside tests.
    pub ttl: Duration,
}

/// The running run's lease as an update finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Nobody holds a live lease: none was taken (the status is not running, or a
    /// process that has died left it running), or its holder stopped renewing it.
    Free,
    /// `owner` holds it and renewed it within [`RUN_LEASE`].
    Held {
        /// The holder's [`LeaseHolder::owner`].
        owner: String,
    },
}

/// What renewing a lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseRenewal {
    /// Renewed; `cancel_requested` when some process asked the run to stop.
    Held {
        /// Whether a cancel was requested.
        cancel_requested: bool,
    },
    /// The run is no longer this holder's: it ended, or another process recorded it
    /// interrupted after the lease expired.
    Lost,
}

/// What an update that writes `after` over `before` does to the lease: the one rule
/// every backend applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseChange {
    /// A new run: the writer takes the lease, with no cancel requested.
    Take,
    /// The same run, advanced by the writer: the lease is renewed for it (taken back if
    /// it had expired); a requested cancel stays requested.
    Renew,
    /// The same run, written by a process that does not hold its live lease: unchanged.
    Keep,
    /// No run is running: the lease and any cancel request are dropped.
    Release,
}

/// The [`LeaseChange`] of an update by `holder` that found `lease` and wrote `after`
/// over `before`.
#[must_use]
pub fn lease_change(
    before: &PipelineState,
    after: &PipelineState,
    lease: &Lease,
    holder: &LeaseHolder,
) -> LeaseChange {
    let PipelineState::Running { run_id, .. } = after else {
        return LeaseChange::Release;
    };
    let same_run = matches!(before, PipelineState::Running { run_id: was, .. } if was == run_id);
    match lease {
        _ if !same_run => LeaseChange::Take,
        Lease::Held { owner } if *owner != holder.owner => LeaseChange::Keep,
        _ => LeaseChange::Renew,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::records::Stage;

    fn running(run_id: &str) -> PipelineState {
        PipelineState::Running {
            run_id: run_id.into(),
            stage: Stage::Training,
            progress: 0.3,
            started_at: datetime!(2025-01-01 00:00 UTC),
        }
    }

    fn held(owner: &str) -> Lease {
        Lease::Held {
            owner: owner.into(),
        }
    }

    #[test]
    fn every_case_of_the_lease_rule() {
        let me = LeaseHolder {
            owner: "me".into(),
            ttl: RUN_LEASE,
        };
        let idle = PipelineState::Idle;
        let cases = [
            (&idle, running("r1"), Lease::Free, LeaseChange::Take),
            (
                &running("r0"),
                running("r1"),
                Lease::Free,
                LeaseChange::Take,
            ),
            (
                &running("r0"),
                running("r1"),
                held("other"),
                LeaseChange::Take,
            ),
            (
                &running("r1"),
                running("r1"),
                held("me"),
                LeaseChange::Renew,
            ),
            (
                &running("r1"),
                running("r1"),
                Lease::Free,
                LeaseChange::Renew,
            ),
            (
                &running("r1"),
                running("r1"),
                held("other"),
                LeaseChange::Keep,
            ),
            (
                &running("r1"),
                idle.clone(),
                held("other"),
                LeaseChange::Release,
            ),
            (
                &running("r1"),
                idle.clone(),
                held("me"),
                LeaseChange::Release,
            ),
            (&idle, idle.clone(), Lease::Free, LeaseChange::Release),
        ];
        for (before, after, lease, want) in cases {
            assert_eq!(
                lease_change(before, &after, &lease, &me),
                want,
                "{before:?} -> {after:?} with {lease:?}"
            );
        }
    }
}
