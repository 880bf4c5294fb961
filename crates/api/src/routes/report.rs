//! `GET /monitoring/report`: the HTML report of a data window, as `scorewatch report`
//! writes it.

use actix_web::http::header::{ContentDisposition, ContentType};
use actix_web::{HttpResponse, get, web};
use scorewatch_core::views::FieldProblem;
use scorewatch_core::{
    DEFAULT_MIN_SEGMENT_ROWS, MAX_REPORT_ROWS, MonitorError, ReportError, ReportRequest,
    SegmentOptions, gather_report_with, render_html,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::predictions::time_range;
use super::responses::{BadRequest, Invalid, MissingKey, WrongKey};
use super::segments::segment_error;
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
    /// Add the segments table: drift and metrics per value of this column (one of the
    /// model's features), as `GET /monitoring/drift?segment_by=` and
    /// `GET /monitoring/metrics/segments` compute them, over the report's window.
    pub segment_by: Option<String>,
    /// With `segment_by`: fewest rows a segment needs to be judged (default 100, at
    /// least 1); thinner segments are listed and marked, never judged.
    pub min_rows: Option<u64>,
}

/// One self-contained HTML page (inline CSS and SVG, no script, no external URL): model,
/// verdict, training/validation/production metrics with their history, score
/// distribution, feature drift, data quality, the alerts firing, drift and metrics per
/// segment (with `segment_by`) and recent pipeline runs of the window. An empty window
/// gives a page that says so. An unknown `model_version` is 422 and lists the published
/// versions; an unknown `segment_by` is 422 and lists the model's features.
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
    let (since, until) = time_range(
        query.since.as_deref(),
        query.until.as_deref(),
        &mut problems,
    );
    let min_rows = query.min_rows.unwrap_or(DEFAULT_MIN_SEGMENT_ROWS);
    if min_rows == 0 {
        problems.push(FieldProblem {
            field: "min_rows".to_owned(),
            problem: "must be at least 1".to_owned(),
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
        segment_by: query.segment_by,
        segment_options: SegmentOptions { min_rows },
    };
    let state = state.into_inner();
    let gathered = web::block(move || {
        // The served model's training rows, loaded once and kept (used only when the
        // report is about the served model); a report that cannot use them says why.
        let training = match (&request.segment_by, state.served()) {
            (Some(_), Some(served)) => served.training_reference(&state.store).ok(),
            _ => None,
        };
        gather_report_with(&state.store, &request, training.as_deref())
    })
    .await
    .map_err(ApiError::internal)?;
    let data = match gathered {
        Ok(data) => data,
        Err(err @ (ReportError::UnknownVersion { .. } | ReportError::InvalidVersion(_))) => {
            return Err(ApiError::invalid("model_version", err.to_string()));
        }
        Err(ReportError::Segment(err)) => {
            return Err(segment_error("segment_by", MonitorError::Segment(err)));
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
