//! Replicas on one database: each test opens the database twice (two pools, as two
//! `scorewatch serve` processes do) and checks that they act as one service.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use scorewatch_core::{
    DataLayout, JobClaims, LeaseHolder, LeaseRenewal, PipelineError, PipelineRunner, PipelineState,
    PredictionLog, PromotionNotices, RunOutcome, Store, TransitionError,
};
use scorewatch_postgres::MODEL_PROMOTED_CHANNEL;
use scorewatch_postgres::testing::execute;

use crate::support::{TestDb, prediction};

/// A replica's view of the database: its own pool, as core's store.
fn replica(db: &TestDb) -> Arc<Store> {
    let layout = DataLayout::new(std::env::temp_dir().join("scorewatch-cluster-unused"));
    Arc::new(Store::from_backends(layout, db.open().backends()))
}

#[test]
fn runs_started_at_once_on_two_replicas_start_one() {
    const TEST: &str = "runs_started_at_once_on_two_replicas_start_one";
    let Some(db) = TestDb::new(TEST) else { return };
    let runners: Vec<Arc<PipelineRunner>> = (0..2)
        .map(|_| Arc::new(PipelineRunner::new(replica(&db)).unwrap()))
        .collect();
    // Four starts per replica, all released together.
    let barrier = Arc::new(Barrier::new(8));
    let starts: Vec<_> = (0..8)
        .map(|i| {
            let runner = Arc::clone(&runners[i % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                runner.begin()
            })
        })
        .collect();
    let results: Vec<Result<String, PipelineError>> =
        starts.into_iter().map(|t| t.join().unwrap()).collect();
    let started: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(started.len(), 1, "{results:?}");
    for result in &results {
        if let Err(err) = result {
            assert!(
                matches!(err, PipelineError::Transition(TransitionError::AlreadyRunning { run_id }) if run_id == started[0]),
                "{err}"
            );
        }
    }
    let status = runners[1].status().unwrap();
    assert!(matches!(&status.state, PipelineState::Running { run_id, .. } if run_id == started[0]));
    assert!(
        status.runs.is_empty(),
        "no run recorded twice or interrupted"
    );
}

#[test]
fn a_run_whose_lease_expires_is_recorded_interrupted_by_another_replica() {
    const TEST: &str = "a_run_whose_lease_expires_is_recorded_interrupted_by_another_replica";
    let Some(db) = TestDb::new(TEST) else { return };
    let lease = Duration::from_millis(500);
    let dead = PipelineRunner::with_lease(replica(&db), lease).unwrap();
    let alive = PipelineRunner::with_lease(replica(&db), lease).unwrap();
    // Begun and never executed: nobody renews the lease, as when the replica died.
    let abandoned = dead.begin().unwrap();
    assert!(matches!(
        alive.begin(),
        Err(PipelineError::Transition(
            TransitionError::AlreadyRunning { .. }
        ))
    ));
    assert_eq!(
        alive.recover_interrupted().unwrap(),
        None,
        "the lease lives"
    );

    std::thread::sleep(lease * 2);
    assert_eq!(
        alive.recover_interrupted().unwrap(),
        Some(abandoned.clone())
    );
    let status = alive.status().unwrap();
    assert!(matches!(&status.state, PipelineState::Failed { error, .. } if error == "interrupted"));
    assert_eq!(status.runs.len(), 1);
    assert_eq!(status.runs[0].run_id, abandoned);
    assert_eq!(status.runs[0].outcome, RunOutcome::Failed);
    // The late replica finds its lease gone and a new run can start anywhere.
    let store = replica(&db);
    let holder = LeaseHolder {
        owner: dead.lease_owner().to_owned(),
        ttl: lease,
    };
    assert_eq!(
        store
            .pipeline_status()
            .renew_lease(&abandoned, &holder)
            .unwrap(),
        LeaseRenewal::Lost
    );
    assert!(alive.begin().is_ok());
}

#[test]
fn a_renewed_lease_keeps_the_run_and_carries_a_cancel_from_another_replica() {
    const TEST: &str = "a_renewed_lease_keeps_the_run_and_carries_a_cancel_from_another_replica";
    let Some(db) = TestDb::new(TEST) else { return };
    let lease = Duration::from_millis(500);
    let running_store = replica(&db);
    let running = PipelineRunner::with_lease(Arc::clone(&running_store), lease).unwrap();
    let other = PipelineRunner::with_lease(replica(&db), lease).unwrap();
    assert_eq!(other.cancel_run().unwrap(), None, "nothing runs yet");
    let run_id = running.begin().unwrap();
    let holder = LeaseHolder {
        owner: running.lease_owner().to_owned(),
        ttl: lease,
    };
    // Renewed past several lease lengths: the run stays running.
    for _ in 0..6 {
        std::thread::sleep(lease / 4);
        assert_eq!(
            running_store
                .pipeline_status()
                .renew_lease(&run_id, &holder)
                .unwrap(),
            LeaseRenewal::Held {
                cancel_requested: false
            }
        );
    }
    assert_eq!(other.recover_interrupted().unwrap(), None);
    assert_eq!(other.cancel_run().unwrap(), Some(run_id.clone()));
    assert_eq!(
        running_store
            .pipeline_status()
            .renew_lease(&run_id, &holder)
            .unwrap(),
        LeaseRenewal::Held {
            cancel_requested: true
        }
    );
    // Another replica's name does not renew the lease.
    let stranger = LeaseHolder {
        owner: other.lease_owner().to_owned(),
        ttl: lease,
    };
    assert_eq!(
        running_store
            .pipeline_status()
            .renew_lease(&run_id, &stranger)
            .unwrap(),
        LeaseRenewal::Lost
    );
}

#[test]
fn one_replica_wins_a_job_claim_per_interval() {
    const TEST: &str = "one_replica_wins_a_job_claim_per_interval";
    let Some(db) = TestDb::new(TEST) else { return };
    let stores = [db.open(), db.open()];
    let barrier = Arc::new(Barrier::new(8));
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let claims = stores[i % 2].job_claims();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                claims
                    .claim("drift", &format!("replica-{i}"), Duration::from_mins(1))
                    .unwrap()
            })
        })
        .collect();
    let won = claims
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|won| *won)
        .count();
    assert_eq!(won, 1);
    // Within the interval nobody wins; another job is claimed on its own.
    assert!(
        !stores[0]
            .job_claims()
            .claim("drift", "late", Duration::from_mins(1))
            .unwrap()
    );
    assert!(
        stores[1]
            .job_claims()
            .claim("production_metrics", "r", Duration::from_mins(1))
            .unwrap()
    );
    // Once the interval has passed, the next claim wins again.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        stores[1]
            .job_claims()
            .claim("drift", "r", Duration::from_millis(200))
            .unwrap()
    );
}

#[test]
fn a_promotion_notice_reaches_a_listening_replica() {
    const TEST: &str = "a_promotion_notice_reaches_a_listening_replica";
    let Some(db) = TestDb::new(TEST) else { return };
    let listening = db.open().promotion_notices();
    // The first wait opens the listening connection; nothing was sent yet.
    assert_eq!(listening.wait(Duration::from_millis(50)).unwrap(), None);
    execute(
        &db.url,
        &format!("SELECT pg_notify('{MODEL_PROMOTED_CHANNEL}', '20260101-000000-abcd')"),
    )
    .unwrap();
    assert_eq!(
        listening.wait(Duration::from_secs(30)).unwrap().as_deref(),
        Some("20260101-000000-abcd")
    );
}

#[test]
fn a_replica_finds_a_prediction_id_another_replica_logged() {
    const TEST: &str = "a_replica_finds_a_prediction_id_another_replica_logged";
    let Some(db) = TestDb::new(TEST) else { return };
    let (writer, reader) = (db.open(), db.open());
    let record = prediction(0, "v1", 0);
    writer
        .predictions()
        .append(&[], std::slice::from_ref(&record))
        .unwrap();
    let log = reader.predictions();
    assert_eq!(log.logged(&record.prediction_id).unwrap(), Some(true));
    assert_eq!(log.logged("no-such-id").unwrap(), Some(false));
}
