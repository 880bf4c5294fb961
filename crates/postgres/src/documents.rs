//! The stores the file backend keeps as JSON documents: the metrics history and the drift
//! reports (the pipeline status, with its lease, is in `pipeline_status.rs`). Each record is a jsonb row (the same JSON the file
//! backend writes), bounded as the file backend bounds it, in one transaction per change.

use std::sync::Arc;

use scorewatch_core::{
    DriftReport, DriftReportStore, DriftReportSummary, MetricsEntry, MetricsHistory, StoreError,
};
use sqlx::types::Json;

use crate::shared::{Shared, db};

/// The metrics history in `metrics_history`, bounded per source.
#[derive(Debug, Clone)]
pub struct PgMetricsHistory {
    shared: Arc<Shared>,
    retention: i64,
}

impl PgMetricsHistory {
    pub(crate) fn new(shared: Arc<Shared>, retention: usize) -> Self {
        Self {
            shared,
            retention: i64::try_from(retention.max(1)).unwrap_or(i64::MAX),
        }
    }

    fn read(&self, sql: &'static str) -> Result<Vec<MetricsEntry>, StoreError> {
        let entries: Vec<Json<MetricsEntry>> =
            self.shared
                .call("read the metrics history", move |pool| async move {
                    sqlx::query_scalar(sql)
                        .fetch_all(&pool)
                        .await
                        .map_err(db("read the metrics history"))
                })?;
        Ok(entries.into_iter().map(|Json(entry)| entry).collect())
    }
}

impl MetricsHistory for PgMetricsHistory {
    fn record(&self, entry: MetricsEntry) -> Result<(), StoreError> {
        // The source as its JSON name (`production`), the column the bound is kept by.
        let source = serde_json::to_value(entry.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let retention = self.retention;
        self.shared.call("record metrics", move |pool| async move {
            let err = db("record metrics");
            let mut tx = pool.begin().await.map_err(&err)?;
            sqlx::query(
                "INSERT INTO metrics_history (source, model_version, recorded_at, entry)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&source)
            .bind(&entry.model_version)
            .bind(entry.timestamp)
            .bind(Json(&entry))
            .execute(&mut *tx)
            .await
            .map_err(&err)?;
            // Per source, as the file backend: frequent estimated and production entries
            // never push out a model's training and validation metrics.
            sqlx::query(
                "DELETE FROM metrics_history WHERE source = $1 AND seq <= (
                     SELECT seq FROM metrics_history WHERE source = $1
                     ORDER BY seq DESC OFFSET $2 LIMIT 1)",
            )
            .bind(&source)
            .bind(retention)
            .execute(&mut *tx)
            .await
            .map_err(&err)?;
            tx.commit().await.map_err(&err)
        })
    }

    fn history(&self) -> Result<Vec<MetricsEntry>, StoreError> {
        self.read("SELECT entry FROM metrics_history ORDER BY seq")
    }

    fn latest(&self) -> Result<Option<MetricsEntry>, StoreError> {
        Ok(self
            .read("SELECT entry FROM metrics_history ORDER BY seq DESC LIMIT 1")?
            .pop())
    }
}

/// The drift reports in `drift_reports`, bounded by count.
#[derive(Debug, Clone)]
pub struct PgDriftReports {
    shared: Arc<Shared>,
    retention: i64,
}

impl PgDriftReports {
    pub(crate) fn new(shared: Arc<Shared>, retention: usize) -> Self {
        Self {
            shared,
            retention: i64::try_from(retention.max(1)).unwrap_or(i64::MAX),
        }
    }

    fn read(&self, sql: &'static str, id: Option<String>) -> Result<Vec<DriftReport>, StoreError> {
        let reports: Vec<Json<DriftReport>> =
            self.shared
                .call("read drift reports", move |pool| async move {
                    sqlx::query_scalar(sql)
                        .bind(id)
                        .fetch_all(&pool)
                        .await
                        .map_err(db("read drift reports"))
                })?;
        Ok(reports.into_iter().map(|Json(report)| report).collect())
    }
}

impl DriftReportStore for PgDriftReports {
    fn save(&self, report: DriftReport) -> Result<(), StoreError> {
        let retention = self.retention;
        self.shared
            .call("save a drift report", move |pool| async move {
                let err = db("save a drift report");
                let mut tx = pool.begin().await.map_err(&err)?;
                sqlx::query(
                    "INSERT INTO drift_reports (id, computed_at, report) VALUES ($1, $2, $3)",
                )
                .bind(&report.id)
                .bind(report.computed_at)
                .bind(Json(&report))
                .execute(&mut *tx)
                .await
                .map_err(&err)?;
                sqlx::query(
                    "DELETE FROM drift_reports WHERE seq <= (
                     SELECT seq FROM drift_reports ORDER BY seq DESC OFFSET $1 LIMIT 1)",
                )
                .bind(retention)
                .execute(&mut *tx)
                .await
                .map_err(&err)?;
                tx.commit().await.map_err(&err)
            })
    }

    fn latest(&self) -> Result<Option<DriftReport>, StoreError> {
        // `$1` is unused here; it is typed so that every read takes the same bind.
        Ok(self
            .read(
                "SELECT report FROM drift_reports WHERE $1::text IS NULL
                 ORDER BY seq DESC LIMIT 1",
                None,
            )?
            .pop())
    }

    fn get(&self, id: &str) -> Result<Option<DriftReport>, StoreError> {
        Ok(self
            .read(
                "SELECT report FROM drift_reports WHERE id = $1",
                Some(id.to_owned()),
            )?
            .pop())
    }

    fn summaries(&self) -> Result<Vec<DriftReportSummary>, StoreError> {
        // Whole reports are read to summarise them (as the file backend, which holds them
        // in memory); the count is bounded by the retention.
        Ok(self
            .read(
                "SELECT report FROM drift_reports WHERE $1::text IS NULL ORDER BY seq",
                None,
            )?
            .iter()
            .map(DriftReportSummary::from)
            .collect())
    }
}
