//! `GET /monitoring/report`: the HTML report of a data window, as `scorewatch report`
//! writes it.

use actix_web::http::header::{ContentDisposition, ContentType};
use actix_web::{HttpResponse, get, web};
use scorewatch_core::views::FieldProblem;
use scorewatch_core::{MAX_REPORT_ROWS, ReportError, ReportRequest, gather_report, render_html};
use serde::Deserialize;
use utoipa::IntoParams;

use super::predictions::instant;
use super::responses::{BadRequest, Invalid, MissingKey, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;

/// The data window.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only predictions at or after this RFC 3339 instant.
    pub since: Option<String>,
    /// Only predictions at or before this RFC 3339 instant.
    pub until: Option<String>,
    /// The model version to report on (default: the served model).
    pub model_version: Option<String>,
    /// The newest this many predictions of the window (default: the server's
    /// `--drift-window`, so the report shows what `POST /monitoring/drift/run` computes;
    /// at most 1,000,000).
    pub rows: Option<usize>,
}

/// One self-contained HTML page (inline CSS and SVG, no script, no external URL): model,
/// verdict, training/validation/production metrics with their history, score
/// distribution, feature drift, data quality and recent pipeline runs of the window. An
/// empty window gives a page that says so. An unknown `model_version` is 422 and lists
/// the published versions.
#[utoipa::path(
    tag = "monitoring",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report page", content_type = "text/html", body = String),
        BadRequest, MissingKey, WrongKey, Invalid,
    )
)]
#[get("/monitoring/report")]
pub async fn get_report(
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let mut problems = Vec::new();
    let rows = query.rows.unwrap_or(state.config.drift_window);
    if rows == 0 || rows > MAX_REPORT_ROWS {
        problems.push(FieldProblem {
            field: "rows".to_owned(),
            problem: format!("must be between 1 and {MAX_REPORT_ROWS}"),
        });
    }
    let since = instant("since", query.since.as_deref(), &mut problems);
    let until = instant("until", query.until.as_deref(), &mut problems);
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        problems.push(FieldProblem {
            field: "since".to_owned(),
            problem: "must not be after until".to_owned(),
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidFields(problems));
    }
    let request = ReportRequest {
        model_version: query.model_version,
        since,
        until,
        rows,
    };
    let state = state.into_inner();
    let gathered = web::block(move || gather_report(&state.store, &request))
        .await
        .map_err(ApiError::internal)?;
    let data = match gathered {
        Ok(data) => data,
        Err(err @ (ReportError::UnknownVersion { .. } | ReportError::InvalidVersion(_))) => {
            return Err(ApiError::invalid("model_version", err.to_string()));
        }
        Err(err) => return Err(ApiError::internal(err)),
    };
    let file = format!(
        "scorewatch-report-{}.html",
        data.model
            .as_ref()
            .map_or("no-model", |m| m.version.as_str())
    );
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        // Inline: a browser shows it; `curl -OJ` and the dashboard get a file name.
        .insert_header(ContentDisposition {
            disposition: actix_web::http::header::DispositionType::Inline,
            parameters: vec![actix_web::http::header::DispositionParam::Filename(file)],
        })
        .body(render_html(&data)))
}
