//! Building and running the server: `Application::build` opens the data directory, binds
//! its own listener (port 0 picks a free one) and starts the workers;
//! `run_until_stopped` serves until SIGTERM/SIGINT (or a [`ServerHandle`] stop), lets
//! in-flight requests finish (SIGTERM only: SIGINT is actix's forced stop), then stops
//! background work and closes the store, which fsyncs the logs and releases the
//! directory lock. On SIGTERM a request answered is logged and one refused is not
//! (`docs/reliability.md`, "Exactly once across a graceful stop").

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use scorewatch_core::StoreOptions;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa_actix_web::AppExt as _;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{self, API_KEY_HEADER, ApiKeys, Guard};
use crate::backend::open_store_with_keys;
use crate::config::Config;
use crate::error;
use crate::prometheus::{self, HttpMetrics};
use crate::routes;
use crate::starting::StartingResponder;
use crate::state::AppState;
use crate::telemetry::RequestSpan;
use crate::write_gate::deadline;

/// How long the shutdown waits for the workers' threads to drop their references to the
/// state before it gives up closing the store itself.
const LAST_HOLDER_WAIT: Duration = Duration::from_secs(2);

/// Where the `OpenAPI` document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The document's fixed parts; paths and schemas come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "scorewatch",
        description = "Serve a credit scoring model, log its predictions, join outcomes, track metrics and drift, retrain.",
    ),
    components(schemas(scorewatch_core::views::ErrorBody)),
    modifiers(&SecurityAddon),
    tags(
        (name = "predictions", description = "Scoring"),
        (name = "monitoring", description = "The monitoring guide's endpoints"),
        (name = "pipeline", description = "The training pipeline"),
        (name = "service", description = "Health and Prometheus metrics"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(API_KEY_HEADER))),
        );
    }
}

/// The `OpenAPI` document of every route.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api
}

/// A built server, listening, not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
    key_refresh: Option<KeyRefresh>,
}

/// What the database's key refresh needs while the server runs.
struct KeyRefresh {
    keys: Arc<ApiKeys>,
    database: scorewatch_postgres::PgApiKeys,
    every: Duration,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the store (the data directory, taking its lock; or the database of
    /// `config.database_url`, migrated under its advisory lock), recovers an interrupted
    /// pipeline run, loads the keys and the current model, and binds `host:port`.
    ///
    /// # Errors
    /// When the directory is locked or corrupt, the database refuses or stays
    /// unreachable, the keys cannot be loaded or generated,
    /// or the address cannot be bound.
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let options = StoreOptions {
            prediction_retention_days: config.retention_days,
            ..StoreOptions::default()
        };
        // Bound first, and answered (503, `/health` saying why) while the store opens,
        // which with a database that is not up yet takes up to `--database-wait`.
        let address = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let backend = if config.database_url.is_some() {
            scorewatch_postgres::BACKEND_NAME
        } else {
            scorewatch_core::FILE_BACKEND
        };
        let starting = StartingResponder::spawn(&listener, backend, &config.replica_name)
            .context("answering on the port while starting")?;
        let (store, database_keys) = open_store_with_keys(
            &config.data_dir,
            config.database_url.as_ref(),
            options,
            config.database_wait,
            &|reason| starting.note_failure(reason),
        )?;
        let report = store.open_report();
        if report.predictions_dropped_bytes > 0 || report.outcomes_dropped_bytes > 0 {
            tracing::warn!(?report, "torn log tails were cut back");
        }
        // With a database, keys come from the environment and the database only: a key
        // file generated here would work on this replica alone.
        let keys = Arc::new(match &database_keys {
            Some(database) => ApiKeys::with_database(&config.api_keys, database)?,
            None => ApiKeys::load(&config.api_keys, &config.data_dir)?,
        });
        let key_refresh = config.key_refresh;
        let port = listener.local_addr()?.port();
        let workers = config.workers;
        let keep_alive = config.keep_alive;
        let shutdown = config.shutdown_timeout.as_secs();
        let body_limit = config.body_limit;
        let guard = web::Data::new(Guard {
            keys: Arc::clone(&keys),
            protect_reads: config.protect_reads,
        });
        let state = Arc::new(AppState::open(config, store)?);
        crate::promotions::follow_promotions(&state);
        let data = web::Data::from(Arc::clone(&state));
        let http_metrics = web::Data::new(HttpMetrics::default());
        let api = openapi();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(guard.clone())
                .app_data(http_metrics.clone())
                .app_data(error::json_config(body_limit))
                .app_data(error::query_config())
                .app_data(error::path_config())
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(|cfg| {
                    routes::configure(&mut utoipa_actix_web::service_config::ServiceConfig::new(
                        cfg,
                    ));
                })
                .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, api.clone()))
                .wrap(from_fn(auth::require_key))
                .wrap(from_fn(deadline))
                .wrap(ErrorHandlers::new().default_handler(error::render_plain_errors))
                .wrap(from_fn(prometheus::record))
                .wrap(TracingLogger::<RequestSpan>::new())
        })
        .workers(workers)
        .keep_alive(keep_alive)
        .shutdown_timeout(shutdown)
        .listen({
            // The real server takes the listener over, with what is queued on it.
            starting.finish();
            listener
        })?
        .run();
        tracing::info!(port, replica = %state.config.replica_name, "listening");
        Ok(Self {
            port,
            server,
            state,
            key_refresh: database_keys.map(|database| KeyRefresh {
                keys,
                database,
                every: key_refresh,
            }),
        })
    }

    /// The bound port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully (what SIGTERM does).
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then cancels a running pipeline, waits for background work
    /// and closes the store (final fsync, lock released).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            server,
            state,
            key_refresh,
            ..
        } = self;
        let (stop_alerts, alerts_stopped) = tokio::sync::watch::channel(false);
        let alert_worker = tokio::spawn(crate::alerts::run_worker(
            Arc::clone(&state),
            alerts_stopped.clone(),
        ));
        let key_worker = key_refresh.map(|refresh| {
            tokio::spawn(auth::refresh_database_keys(
                refresh.keys,
                refresh.database,
                Arc::clone(&state),
                refresh.every,
                alerts_stopped,
            ))
        });
        let served = server.await;
        // Undelivered notifications stay in the outbox for the next start.
        let _ = stop_alerts.send(true);
        let _ = alert_worker.await;
        if let Some(worker) = key_worker {
            let _ = worker.await;
        }
        tracing::info!("server stopped; closing the store");
        let closing = Arc::clone(&state);
        drop(state);
        tokio::task::spawn_blocking(move || {
            closing.pipeline.cancel_and_join();
            closing.join_background();
            // Each worker reports itself stopped before its thread drops its copy of the
            // app, and with it a reference to the state: wait for those, so that the store
            // closes here (final fsync, lock released) rather than on a worker thread that
            // the process exit may cut short or that a restart in this process races.
            let waited = Instant::now();
            while Arc::strong_count(&closing) > 1 && waited.elapsed() < LAST_HOLDER_WAIT {
                std::thread::sleep(Duration::from_millis(2));
            }
            if Arc::strong_count(&closing) > 1 {
                tracing::warn!(
                    holders = Arc::strong_count(&closing),
                    "state still shared at shutdown; the store closes when the last holder drops"
                );
            }
            drop(closing);
        })
        .await
        .context("closing the store")?;
        served.context("serving")?;
        tracing::info!("stopped");
        Ok(())
    }
}
