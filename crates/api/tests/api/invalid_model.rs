//! Issue 13: an invalid current model is never served. `scorewatch serve` (which is
//! `Application::build` then `run_until_stopped`) refuses to start and names the file and
//! the field at fault.

use std::time::Duration;

use scorewatch_api::config::{Config, Secret};
use scorewatch_api::startup::Application;
use scorewatch_core::{DataLayout, MODEL_FILE, ModelRegistry, ModelStore};
use serde_json::Value;

use crate::helpers::{API_KEY, spawn_with};

#[tokio::test]
async fn serve_refuses_to_start_on_a_model_whose_weights_do_not_fit() {
    if !crate::database::file_backend_only(
        "invalid_model::serve_refuses_to_start_on_a_model_whose_weights_do_not_fit",
    ) {
        return;
    }
    // Arrange: a really trained current model, then its weights cut short by one.
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    app.train().await;
    let dir = app.stop().await;
    let registry = ModelRegistry::for_layout(&DataLayout::new(dir.path()));
    let version = registry
        .current_version()
        .unwrap()
        .expect("a current model");
    let path = registry.version_dir(&version).join(MODEL_FILE);
    let original = std::fs::read(&path).unwrap();
    let mut json: Value = serde_json::from_slice(&original).unwrap();
    let weights = json["coefficients"]["weights"].as_array_mut().unwrap();
    let columns = weights.len();
    weights.pop();
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();

    // Act: what `scorewatch serve` does first.
    let mut config = Config::new(dir.path().to_path_buf());
    "127.0.0.1".clone_into(&mut config.host);
    config.port = 0;
    config.workers = 1;
    config.api_keys = vec![Secret::new(API_KEY)];
    config.shutdown_timeout = Duration::from_secs(5);
    let Err(err) = Application::build(config) else {
        panic!("the app built on an invalid model");
    };

    // Assert: the message (as `scorewatch` prints it) names the file and the field.
    let message = format!("{err:#}");
    assert_eq!(
        message,
        format!(
            "refusing to start: the current model cannot be served: {}: invalid model: \
             coefficients.weights has {} values but the preprocessing makes {columns} columns",
            path.display(),
            columns - 1
        )
    );

    // Repairing the file is all a restart needs (the failed start left no lock behind).
    std::fs::write(&path, &original).unwrap();
    let app = spawn_with(dir, |_| {}).await;
    assert_eq!(
        app.get_json("/health").await["model_version"],
        version.as_str()
    );
    app.stop().await;
}
