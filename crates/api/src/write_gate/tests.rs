//! The gate's state machine, and the deadline middleware racing real and deliberately
//! slow writes. Events are ordered by channels and the blocking pool's queue; the short
//! deadline only has to pass while a write is held back, never to beat a clock.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use actix_web::body::to_bytes;
use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::test as actix_test;
use actix_web::{App, HttpResponse, web};
use scorewatch_core::views::ErrorBody;
use scorewatch_core::{
    DEFAULT_TRAINING_FILE, MetricSource, MetricsEntry, RunRequest, SampleGenerator, Scenario,
    Store, StoreOptions, write_sample_csv,
};
use serde_json::json;
use time::OffsetDateTime;

use super::*;
use crate::config::Config;
use crate::error;
use crate::served::Served;

/// Far longer than a handler needs to reach its write, far shorter than a test's patience.
const DEADLINE: Duration = Duration::from_millis(300);
/// How long a held write waits for the deadline before the test gives up (and fails).
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn the_first_claim_wins_and_a_claimed_write_may_continue() {
    let gate = WriteGate::new();
    assert_eq!(gate.expire(), Expiry::Abandoned);
    assert!(
        gate.commit().is_err(),
        "an abandoned gate lets no write through"
    );

    let gate = WriteGate::new();
    assert!(gate.commit().is_ok());
    assert_eq!(gate.expire(), Expiry::Committing);
    assert!(gate.is_late());
    assert!(gate.commit().is_ok(), "the request's own write goes on");

    let gate = WriteGate::new();
    assert!(gate.commit().is_ok());
    assert!(gate.commit().is_ok());
    assert!(!gate.is_late());
}

/// A single-threaded actix system whose blocking pool has one thread, so a test can
/// hold `web::block` work back by keeping that thread busy.
fn run<F: Future>(test: F) -> F::Output {
    actix_web::rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(1)
            .build()
            .expect("runtime")
    })
    .block_on(test)
}

fn state(dir: &Path) -> web::Data<AppState> {
    let store = Store::open(dir, StoreOptions::default()).expect("store opens");
    let mut config = Config::new(dir.to_path_buf());
    config.handler_timeout = DEADLINE;
    web::Data::new(AppState::open(config, store).expect("state opens"))
}

fn manual_entry() -> MetricsEntry {
    MetricsEntry {
        timestamp: OffsetDateTime::now_utc(),
        source: MetricSource::Manual,
        model_version: None,
        metrics: [("accuracy".to_owned(), 0.9)].into(),
        undefined: std::collections::BTreeMap::new(),
        rows: None,
        posted_by: None,
        rejected_candidate: false,
        bands: std::collections::BTreeMap::new(),
    }
}

/// A handler whose write claims the gate, then holds until the deadline has fired, then
/// writes: the write is committing when the deadline comes.
async fn write_through_the_deadline(
    state: web::Data<AppState>,
    gate: WriteGate,
) -> Result<HttpResponse, ApiError> {
    let state = state.into_inner();
    web::block(move || -> Result<(), ApiError> {
        gate.commit()?;
        let waiting = Instant::now();
        while !gate.is_late() {
            if waiting.elapsed() > PATIENCE {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "the deadline never fired"
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        state
            .store
            .metrics()
            .record(manual_entry())
            .map_err(ApiError::store_write)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Created().finish())
}

/// The app's routes, plus the deliberately slow one, behind the deadline.
macro_rules! app {
    ($state:expr) => {
        actix_test::init_service(
            App::new()
                .app_data($state.clone())
                .app_data(error::json_config(1 << 20))
                .configure(|cfg| {
                    crate::routes::configure(
                        &mut utoipa_actix_web::service_config::ServiceConfig::new(cfg),
                    );
                })
                .route("/slow-write", web::post().to(write_through_the_deadline))
                .wrap(from_fn(deadline)),
        )
        .await
    };
}

/// Sends `request` while the blocking pool's only thread is busy, so that the handler's
/// `web::block` write queues behind it until the deadline has answered; then lets the
/// queue drain (it is first in, first out: once a job queued after the write has run,
/// the write has run too). Returns the deadline's answer: status and error code.
async fn answer_with_the_write_held<S, R, B>(app: &S, request: R) -> (StatusCode, String)
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let (release, held) = mpsc::channel::<()>();
    let blocker = tokio::task::spawn_blocking(move || held.recv());

    let answer = actix_test::try_call_service(app, request).await;

    let response = answer
        .err()
        .expect("the deadline answers with an error")
        .error_response();
    release.send(()).expect("blocker waits");
    blocker.await.expect("blocker").expect("released");
    tokio::task::spawn_blocking(|| ())
        .await
        .expect("the queue drains");
    let status = response.status();
    let body: ErrorBody =
        serde_json::from_slice(&to_bytes(response.into_body()).await.expect("body"))
            .expect("error body");
    (status, body.error.code)
}

#[test]
fn a_metrics_post_whose_write_is_still_queued_at_the_deadline_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = state(dir.path());
    run(async {
        let app = app!(state);
        let request = actix_test::TestRequest::post()
            .uri("/monitoring/metrics")
            .set_json(json!({"accuracy": 0.9}))
            .to_request();

        let (status, code) = answer_with_the_write_held(&app, request).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(code, "deadline_exceeded");
        let history = state.store.metrics().history().expect("history reads");
        assert!(history.is_empty(), "a 503 request wrote {history:?}");
    });
}

#[test]
fn a_drift_run_whose_write_is_still_queued_at_the_deadline_saves_no_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = state(dir.path());
    // A served model with a reference profile, and predictions for it to compare.
    let training = state
        .store
        .layout()
        .training_dir()
        .join(DEFAULT_TRAINING_FILE);
    std::fs::create_dir_all(training.parent().expect("training dir")).expect("training dir");
    let file = std::fs::File::create(&training).expect("training file");
    write_sample_csv(file, 1000, 7, Scenario::Baseline).expect("sample written");
    state
        .pipeline
        .runner()
        .run(&RunRequest::default(), &|_, _| {})
        .expect("the model trains");
    let served = Served::load_current(state.store.models())
        .expect("model loads")
        .expect("model promoted");
    state.set_served(served);
    run(async {
        let app = app!(state);
        for application in SampleGenerator::new(11, Scenario::Baseline).take(20) {
            let request = actix_test::TestRequest::post()
                .uri("/predict")
                .set_json(crate::traffic::predict_body(&application))
                .to_request();
            let response = actix_test::call_service(&app, request).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        let request = actix_test::TestRequest::post()
            .uri("/monitoring/drift/run")
            .to_request();

        let (status, code) = answer_with_the_write_held(&app, request).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(code, "deadline_exceeded");
        let latest = state.store.drift_reports().latest().expect("reports read");
        assert!(latest.is_none(), "a 503 request saved {latest:?}");
    });
}

#[test]
fn a_write_committing_at_the_deadline_is_answered_with_its_own_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = state(dir.path());
    run(async {
        let app = app!(state);

        let request = actix_test::TestRequest::post()
            .uri("/slow-write")
            .to_request();
        let answer = actix_test::try_call_service(&app, request).await;

        let response = answer.expect("the handler's own answer, not the deadline's");
        assert_eq!(response.status(), StatusCode::CREATED);
        let history = state.store.metrics().history().expect("history reads");
        assert_eq!(history.len(), 1, "{history:?}");
    });
}
