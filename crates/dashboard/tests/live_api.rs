//! End to end: the dashboard's client, and the whole app, against a real scorewatch server
//! started in this process (scorewatch-api's `Application`, on actix's runtime as
//! `scorewatch serve` runs it) on a free port with a fresh data directory. No binary is
//! built or looked for, so nothing here is ever skipped.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use scorewatch_api::config::Config;
use scorewatch_api::startup::Application;
use scorewatch_core::views::RunPipelineRequest;
use scorewatch_core::{PipelineState, Scenario, write_sample_csv};
use scorewatch_dashboard::{
    AUTH_BANNER_TITLE, ApiError, ApiKey, DashboardApp, HttpClient, KeySource, Payload,
    PredictionsQuery, Request, RequestKind, Settings, StartupOptions, build_http, execute,
};

/// Longest wait for the server to start, a pipeline run to finish, or the app to get its
/// answers; every loop is bounded by it, never by a condition alone.
const LIMIT: Duration = Duration::from_mins(1);

/// Rows of the generated training file: enough for a model, small enough to be quick.
const TRAINING_ROWS: usize = 2000;

/// A server running on its own thread, stopped (gracefully, as SIGTERM does) on drop.
struct LiveServer {
    base: String,
    /// The key the server generated in `<data dir>/secrets/api_key`.
    key: ApiKey,
    dir: tempfile::TempDir,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl LiveServer {
    /// Starts a server on a fresh data directory, with `--protect-reads` when asked. No key
    /// is configured, so the server writes its own to `<data dir>/secrets/api_key`, the
    /// file the dashboard reads and its banner points to.
    fn start(protect_reads: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(dir.path().to_path_buf());
        "127.0.0.1".clone_into(&mut config.host);
        config.port = 0;
        config.workers = 1;
        config.shutdown_timeout = Duration::from_secs(5);
        config.protect_reads = protect_reads;
        let (started, receiver) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = match Application::build(config) {
                    Ok(app) => app,
                    Err(err) => {
                        let _ = started.send(Err(format!("{err:#}")));
                        return;
                    }
                };
                let _ = started.send(Ok((app.port(), app.handle())));
                app.run_until_stopped()
                    .await
                    .expect("the server stops cleanly");
            });
        });
        let (port, handle) = receiver
            .recv_timeout(LIMIT)
            .expect("the server thread reports")
            .unwrap_or_else(|err| panic!("the server does not start: {err}"));
        let key_file = dir.path().join("secrets").join("api_key");
        let key = ApiKey::new(&std::fs::read_to_string(&key_file).expect("the key file"))
            .expect("a non-empty key");
        Self {
            base: format!("http://127.0.0.1:{port}"),
            key,
            dir,
            handle,
            thread: Some(thread),
        }
    }

    /// Writes a training file and runs the pipeline through the dashboard's client.
    fn train(&self, http: &reqwest::blocking::Client) {
        let path = self.dir.path().join("training").join("applications.csv");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("training dir");
        let file = std::fs::File::create(&path).expect("training file");
        write_sample_csv(file, TRAINING_ROWS, 7, Scenario::Baseline).expect("sample written");
        let accepted = execute(
            http,
            &self.base,
            Some(&self.key),
            &Request::RunPipeline(RunPipelineRequest::default()),
        );
        assert!(
            matches!(accepted, Ok(Payload::RunAccepted(_))),
            "{accepted:?}"
        );
        let started = Instant::now();
        loop {
            let status = execute(http, &self.base, Some(&self.key), &Request::PipelineStatus);
            let Ok(Payload::PipelineStatus(status)) = status else {
                panic!("pipeline status: {status:?}");
            };
            match status.state {
                PipelineState::Running { .. } => {}
                PipelineState::Succeeded { .. } => return,
                other => panic!("the pipeline run did not succeed: {other:?}"),
            }
            assert!(started.elapsed() < LIMIT, "the pipeline run did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            // A panic there (the server failing) fails the test, unless it already failed.
            let joined = thread.join();
            assert!(
                joined.is_ok() || std::thread::panicking(),
                "the server thread panicked"
            );
        }
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// Every read the dashboard makes.
fn reads() -> [Request; 4] {
    [
        Request::Metrics {
            limit: 50,
            offset: 0,
        },
        Request::Drift {
            history: 5,
            id: None,
        },
        Request::Predictions(PredictionsQuery {
            limit: 100,
            ..PredictionsQuery::default()
        }),
        Request::PipelineStatus,
    ]
}

#[test]
fn dashboard_requests_against_a_real_server() {
    // Arrange: a server on a fresh data directory, and a model trained through it.
    let server = LiveServer::start(false);
    let http = build_http().expect("http client");
    let base = &server.base;

    // Writes need the key: a wrong one is refused with 403, none with 401.
    let wrong = ApiKey::new("not-the-key").expect("key");
    let run = Request::RunPipeline(RunPipelineRequest::default());
    for (key, status) in [(Some(&wrong), 403), (None, 401)] {
        let refused = execute(&http, base, key, &run).expect_err("refused");
        assert_eq!(refused.status(), Some(status), "{refused:?}");
    }
    server.train(&http);

    // Every read the dashboard makes decodes into the shared types, with or without the
    // key on a server that does not protect reads.
    let Ok(Payload::Health(health)) = execute(&http, base, None, &Request::Health) else {
        panic!("health");
    };
    assert!(health.model_version.is_some());
    assert!(health.storage.is_none(), "{health:?}");
    let Ok(Payload::Metrics(metrics)) = execute(&http, base, Some(&server.key), &reads()[0]) else {
        panic!("metrics");
    };
    assert_eq!(
        metrics.model.as_ref().map(|m| &m.version),
        health.model_version.as_ref()
    );
    assert!(metrics.training.is_some());
    let Ok(Payload::Predictions(page)) = execute(&http, base, None, &reads()[2]) else {
        panic!("predictions");
    };
    assert!(page.predictions.is_empty() && !page.has_more);
    assert!(matches!(
        execute(&http, base, None, &reads()[1]),
        Ok(Payload::Drift(_))
    ));
    let Ok(Payload::PipelineStatus(status)) = execute(&http, base, None, &reads()[3]) else {
        panic!("pipeline status");
    };
    assert_eq!(status.runs.len(), 1, "{status:?}");

    // Issues 16 and 17: the alert lists decode; an ack goes to the alert's own URL, needs
    // the key, and names an unknown id; a segment column is checked by the server.
    for request in [Request::FiringAlerts, Request::Alerts(None)] {
        let answer = execute(&http, base, None, &request);
        assert!(matches!(answer, Ok(Payload::Alerts(_))), "{answer:?}");
    }
    let ack = Request::AckAlert("no-such-alert".into());
    let refused = execute(&http, base, None, &ack).expect_err("refused without the key");
    assert_eq!(refused.status(), Some(401), "{refused:?}");
    let unknown = execute(&http, base, Some(&server.key), &ack).expect_err("unknown id");
    assert_eq!(unknown.status(), Some(404), "{unknown:?}");
    assert!(unknown.to_string().contains("no-such-alert"), "{unknown}");
    let segments = |column: &str| Request::DriftSegments {
        column: column.into(),
        min_rows: 100,
    };
    let answer = execute(&http, base, None, &segments("employment_type"));
    assert!(
        matches!(answer, Ok(Payload::DriftSegments(_))),
        "{answer:?}"
    );
    let metrics = Request::MetricsSegments {
        column: "employment_type".into(),
        min_rows: 100,
    };
    let answer = execute(&http, base, None, &metrics);
    assert!(
        matches!(answer, Ok(Payload::MetricsSegments(_))),
        "{answer:?}"
    );
    let invalid = execute(&http, base, None, &segments("nope")).expect_err("unknown column");
    assert_eq!(invalid.status(), Some(422), "{invalid:?}");
    assert!(
        invalid.to_string().contains("employment_type"),
        "the valid columns are listed: {invalid}"
    );

    // An unreachable port gives the error the dashboard shows as "unreachable".
    let closed = format!("http://127.0.0.1:{}", free_port());
    assert!(matches!(
        execute(&http, &closed, None, &Request::Health),
        Err(ApiError::Unreachable { .. })
    ));
}

/// Issue 13: with `--protect-reads`, reads need the key; the dashboard's client sends it.
#[test]
fn issue_13_protected_reads_answer_the_dashboards_key() {
    let server = LiveServer::start(true);
    let http = build_http().expect("http client");
    let wrong = ApiKey::new("not-the-key").expect("key");

    // `/health` stays public.
    assert!(matches!(
        execute(&http, &server.base, None, &Request::Health),
        Ok(Payload::Health(_))
    ));
    for request in reads() {
        let missing = execute(&http, &server.base, None, &request).expect_err("no key");
        assert_eq!(missing.status(), Some(401), "{request:?}: {missing:?}");
        let refused = execute(&http, &server.base, Some(&wrong), &request).expect_err("wrong");
        assert_eq!(refused.status(), Some(403), "{request:?}: {refused:?}");
        let answered = execute(&http, &server.base, Some(&server.key), &request);
        assert!(answered.is_ok(), "{request:?}: {answered:?}");
    }
}

/// The whole app, with its real HTTP client, against the protected server: `key` as if
/// read from the key file.
fn app_against(server: &LiveServer, key: Option<ApiKey>) -> Harness<'static, DashboardApp> {
    let options = StartupOptions {
        api_url: Some(server.base.clone()),
        key_source: if key.is_some() {
            KeySource::KeyFile
        } else {
            KeySource::None
        },
        api_key: key,
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |_cc| {
            DashboardApp::with_settings(Settings::default(), options, Box::new(HttpClient::new()))
        })
}

/// Runs frames until `done` holds (answers arrive on the client's threads).
fn step_until(
    harness: &mut Harness<'static, DashboardApp>,
    what: &str,
    done: impl Fn(&DashboardApp) -> bool,
) {
    let started = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            break;
        }
        assert!(
            started.elapsed() < LIMIT,
            "{what}: not after {LIMIT:?}: {:?}",
            harness.state()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

/// Issue 13: the dashboard against `serve --protect-reads`: with the key every tab loads,
/// without it the banner says how to set it.
#[test]
fn issue_13_the_app_against_a_protected_server() {
    let server = LiveServer::start(true);

    let mut with_key = app_against(&server, Some(server.key.clone()));
    step_until(&mut with_key, "every read answered", |app| {
        app.state.health.is_some()
            && app.state.metrics.is_some()
            && app.state.drift.loaded
            && app.state.predictions.loaded
            && app.state.pipeline.is_some()
    });
    assert!(with_key.state().state.auth_refused.is_empty());
    assert!(with_key.query_by_label(AUTH_BANNER_TITLE).is_none());
    with_key.get_by_label("No model yet");

    let mut without = app_against(&server, None);
    let refused_reads = [
        RequestKind::Metrics,
        RequestKind::Drift,
        RequestKind::Predictions,
        RequestKind::PipelineStatus,
    ];
    // `/health` stays public: it answers while every other read is refused.
    step_until(
        &mut without,
        "health read, every other read refused",
        |app| {
            app.state.health.is_some()
                && refused_reads
                    .iter()
                    .all(|kind| app.state.auth_refused.contains_key(kind))
        },
    );
    without.get_by_label(AUTH_BANNER_TITLE);
    without.get_by_label_contains(
        "The dashboard has no key, and the server asks for one. /monitoring/metrics answered \
         401: missing X-API-Key header",
    );
}
