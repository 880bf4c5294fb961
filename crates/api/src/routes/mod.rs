//! The HTTP routes, one module per resource, registered through [`configure`].

mod alerts;
mod data_quality;
mod drift;
mod estimate;
mod health;
mod metrics;
mod outcomes;
mod pipeline;
mod predict;
mod predictions;
mod prometheus;
mod report;
mod responses;
mod segments;
mod training_data;

use actix_web::HttpMessage as _;
use actix_web::HttpRequest;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::KeyId;

/// Registers every route; paths and schemas are collected into the `OpenAPI` document.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::health)
        .service(prometheus::metrics)
        .service(predict::predict)
        .service(outcomes::post_outcomes)
        .service(metrics::get_metrics)
        .service(metrics::post_metrics)
        .service(drift::get_drift)
        .service(drift::run_drift)
        .service(predictions::get_predictions)
        .service(pipeline::run_pipeline)
        .service(pipeline::cancel_pipeline)
        .service(pipeline::pipeline_status)
        .service(segments::metrics_segments)
        .service(training_data::list_training_data)
        .service(training_data::put_training_data)
        // Data quality on the prediction path (issue 16).
        .service(data_quality::get_data_quality)
        .service(estimate::get_performance_estimate)
        // Alerts (issue 16).
        .service(alerts::get_alerts)
        .service(alerts::ack_alert)
        .service(report::get_report);
}

/// The id of the key that authenticated the request, if one did.
fn key_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<KeyId>().map(|id| id.0.clone())
}
