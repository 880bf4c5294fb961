//! `GET /monitoring/alerts` and `POST /monitoring/alerts/{id}/ack`.

use actix_web::{HttpRequest, get, post, web};
use scorewatch_core::views::AlertsView;
use scorewatch_core::{AckError, Alert, AlertState, acknowledge};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::key_id;
use super::responses::{BadRequest, Conflict, MissingKey, NotFound, Unavailable, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;

/// Which alerts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only alerts in this state (`firing` or `resolved`); all when absent.
    #[param(inline)]
    pub state: Option<AlertState>,
}

/// The alerts kept, newest first, with their delivery status; `?state=firing` (or
/// `resolved`) filters. An unknown state is 400.
#[utoipa::path(
    tag = "monitoring",
    params(AlertsQuery),
    responses(
        (status = 200, description = "Alerts, newest first", body = AlertsView),
        BadRequest, MissingKey, WrongKey,
    )
)]
#[get("/monitoring/alerts")]
pub async fn get_alerts(
    state: web::Data<AppState>,
    query: web::Query<AlertsQuery>,
) -> Result<web::Json<AlertsView>, ApiError> {
    let wanted = query.into_inner().state;
    let state = state.into_inner();
    let book = web::block(move || state.store.alerts().load())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let alerts: Vec<Alert> = book
        .alerts
        .into_iter()
        .rev()
        .filter(|a| wanted.is_none_or(|s| a.state == s))
        .collect();
    Ok(web::Json(AlertsView { alerts }))
}

/// Acknowledges a firing alert: it is no longer re-notified (until it gets worse).
/// 404 for an unknown id, 409 `alert_resolved` for a resolved alert.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The acknowledged alert", body = Alert),
        NotFound, Conflict, Unavailable, MissingKey, WrongKey,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/alerts/{id}/ack")]
pub async fn ack_alert(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<Alert>, ApiError> {
    let id = id.into_inner();
    let by = key_id(&req);
    let state = state.into_inner();
    let result = web::block(move || {
        let mut outcome = None;
        let stored = state.store.alerts().update(&mut |book| {
            outcome = Some(acknowledge(
                book,
                &id,
                by.clone(),
                OffsetDateTime::now_utc(),
            ));
        });
        state.storage.note(&stored);
        stored.map(|_| outcome)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::write_failed)?;
    match result {
        Some(Ok(alert)) => Ok(web::Json(alert)),
        Some(Err(AckError::NotFound(id))) => {
            Err(ApiError::NotFound(format!("no alert has id {id}")))
        }
        Some(Err(err @ AckError::Transition(_))) => Err(ApiError::Conflict {
            code: "alert_resolved",
            message: err.to_string(),
        }),
        None => Err(ApiError::internal(anyhow::anyhow!(
            "the alert store did not run the update"
        ))),
    }
}
