//! Copying one store into another through core's store traits, whatever their backends:
//! what `scorewatch import` (data directory → database) and `scorewatch export`
//! (database → data directory) do.
//!
//! Every step is safe to run again after an interruption and adds nothing the second
//! time:
//! - predictions and outcomes are keyed by prediction id: ids the destination holds are
//!   skipped (their 128-bit keys kept in memory, 16 bytes a row), the rest appended in
//!   batches, archived logs first with their own feature names, so generations keep
//!   their order;
//! - metrics entries and drift reports the destination holds (equal entry, same id) are
//!   skipped;
//! - models are published by version, only those missing, the source's current one
//!   last and forced, so it is current in the destination too;
//! - the pipeline status, the alert book and each training set are documents, replaced
//!   whole.

use std::collections::HashSet;
use std::ops::ControlFlow;

use anyhow::Context as _;
use scorewatch_core::{
    MetricsEntry, OutcomeRecord, PredictionRecord, PromotionPolicy, Store, TrainingSetName,
    prediction_key,
};

/// Rows per append: one transaction (group-committed) on PostgreSQL, one write on files.
pub const BATCH_ROWS: usize = 5_000;

/// How often progress is reported, in rows.
const PROGRESS_EVERY: u64 = 50_000;

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferSummary {
    /// Predictions appended, and those skipped because the destination had their id.
    pub predictions: (u64, u64),
    /// Outcomes appended, and those skipped.
    pub outcomes: (u64, u64),
    /// Metrics history entries recorded, and those skipped.
    pub metrics: (u64, u64),
    /// Drift reports saved, and those skipped.
    pub drift_reports: (u64, u64),
    /// Model versions published, and those skipped.
    pub models: (u64, u64),
    /// Training sets written (replaced whole).
    pub training_sets: u64,
}

impl std::fmt::Display for TransferSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows = [
            ("predictions", self.predictions),
            ("outcomes", self.outcomes),
            ("metrics entries", self.metrics),
            ("drift reports", self.drift_reports),
            ("model versions", self.models),
        ];
        for (what, (copied, skipped)) in rows {
            writeln!(f, "  {what}: {copied} copied, {skipped} already there")?;
        }
        writeln!(f, "  training sets: {} written", self.training_sets)?;
        write!(f, "  pipeline status and alerts: replaced")
    }
}

/// Appends the buffered rows of one feature set and empties the buffer.
struct PredictionSink<'a> {
    to: &'a Store,
    known: HashSet<u128>,
    names: Vec<String>,
    buffer: Vec<PredictionRecord>,
    copied: u64,
    skipped: u64,
    progress: &'a mut dyn FnMut(&str, u64),
}

impl PredictionSink<'_> {
    fn take(&mut self, names: &[String], record: PredictionRecord) -> anyhow::Result<()> {
        if names != self.names.as_slice() {
            self.flush()?;
            names.clone_into(&mut self.names);
        }
        if self.known.insert(prediction_key(&record.prediction_id)) {
            self.buffer.push(record);
            if self.buffer.len() >= BATCH_ROWS {
                self.flush()?;
            }
        } else {
            self.skipped += 1;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.to
            .predictions()
            .append(&self.names, &self.buffer)
            .context("appending predictions to the destination")?;
        let before = self.copied;
        self.copied += self.buffer.len() as u64;
        self.buffer.clear();
        if before / PROGRESS_EVERY != self.copied / PROGRESS_EVERY {
            (self.progress)("predictions", self.copied);
        }
        Ok(())
    }
}

/// Copies everything `from` holds into `to`; `progress` hears of long work (a kind and
/// the rows copied so far).
///
/// # Errors
/// When either store cannot be read or written; what was copied before stays, and a
/// second run goes on from there.
pub fn copy_store(
    from: &Store,
    to: &Store,
    progress: &mut dyn FnMut(&str, u64),
) -> anyhow::Result<TransferSummary> {
    let mut summary = TransferSummary {
        predictions: copy_predictions(from, to, progress)?,
        outcomes: copy_outcomes(from, to, progress)?,
        ..TransferSummary::default()
    };
    // Metrics entries: the destination's, compared whole.
    let existing = to.metrics().history().context("reading metrics history")?;
    for entry in from
        .metrics()
        .history()
        .context("reading metrics history")?
    {
        if existing.contains(&entry) {
            summary.metrics.1 += 1;
        } else {
            record_metrics(to, entry)?;
            summary.metrics.0 += 1;
        }
    }
    // Drift reports by id, oldest first.
    for report in from
        .drift_reports()
        .summaries()
        .context("listing drift reports")?
    {
        if to.drift_reports().get(&report.id)?.is_some() {
            summary.drift_reports.1 += 1;
            continue;
        }
        let Some(full) = from.drift_reports().get(&report.id)? else {
            continue;
        };
        to.drift_reports()
            .save(full)
            .with_context(|| format!("saving drift report {}", report.id))?;
        summary.drift_reports.0 += 1;
    }
    summary.models = copy_models(from, to)?;
    for set in from
        .training_sets()
        .list()
        .context("listing training sets")?
    {
        let name = TrainingSetName::parse(&set.name)
            .with_context(|| format!("training set {:?}", set.name))?;
        let bytes = from.training_sets().read(&name)?;
        to.training_sets()
            .write(&name, &bytes)
            .with_context(|| format!("writing training set {}", set.name))?;
        summary.training_sets += 1;
    }
    let status = from
        .pipeline_status()
        .load()
        .context("reading pipeline status")?;
    to.pipeline_status()
        .save(status)
        .context("writing pipeline status")?;
    let book = from.alerts().load().context("reading alerts")?;
    to.alerts()
        .update(&mut |theirs| theirs.clone_from(&book))
        .context("writing alerts")?;
    Ok(summary)
}

fn record_metrics(to: &Store, entry: MetricsEntry) -> anyhow::Result<()> {
    to.metrics()
        .record(entry)
        .context("recording a metrics history entry")
}

/// Archived logs first (each with its feature names), then the current log.
fn copy_predictions(
    from: &Store,
    to: &Store,
    progress: &mut dyn FnMut(&str, u64),
) -> anyhow::Result<(u64, u64)> {
    let mut known = HashSet::new();
    to.predictions()
        .scan_archives(&mut |r| {
            known.insert(prediction_key(&r.prediction_id));
            Ok(ControlFlow::Continue(()))
        })
        .context("reading the destination's predictions")?;
    to.predictions()
        .scan(&mut |r| {
            known.insert(prediction_key(&r.prediction_id));
            Ok(ControlFlow::Continue(()))
        })
        .context("reading the destination's predictions")?;
    let mut sink = PredictionSink {
        to,
        known,
        names: Vec::new(),
        buffer: Vec::new(),
        copied: 0,
        skipped: 0,
        progress,
    };
    // The visitor can only return a StoreError: the sink's own errors are kept aside,
    // and end both scans.
    let mut failed: Option<anyhow::Error> = None;
    {
        let mut visit = |names: &[String], record| {
            if failed.is_some() {
                return Ok(ControlFlow::Break(()));
            }
            match sink.take(names, record) {
                Ok(()) => Ok(ControlFlow::Continue(())),
                Err(err) => {
                    failed = Some(err);
                    Ok(ControlFlow::Break(()))
                }
            }
        };
        from.predictions()
            .scan_archived_logs(&mut visit)
            .context("reading archived predictions")?;
        let current = from.predictions().feature_names()?;
        from.predictions()
            .scan(&mut |record| visit(&current, record))
            .context("reading predictions")?;
    }
    if let Some(err) = failed {
        return Err(err);
    }
    sink.flush()?;
    Ok((sink.copied, sink.skipped))
}

fn copy_outcomes(
    from: &Store,
    to: &Store,
    progress: &mut dyn FnMut(&str, u64),
) -> anyhow::Result<(u64, u64)> {
    let mut known = HashSet::new();
    to.outcomes()
        .scan(&mut |r| {
            known.insert(prediction_key(&r.prediction_id));
            Ok(ControlFlow::Continue(()))
        })
        .context("reading the destination's outcomes")?;
    let (mut copied, mut skipped) = (0_u64, 0_u64);
    let mut buffer: Vec<OutcomeRecord> = Vec::new();
    let mut flush = |buffer: &mut Vec<OutcomeRecord>, copied: &mut u64| {
        if buffer.is_empty() {
            return Ok(());
        }
        to.outcomes().append(buffer)?;
        let before = *copied;
        *copied += buffer.len() as u64;
        buffer.clear();
        if before / PROGRESS_EVERY != *copied / PROGRESS_EVERY {
            progress("outcomes", *copied);
        }
        Ok(())
    };
    from.outcomes()
        .scan(&mut |record| {
            if known.insert(prediction_key(&record.prediction_id)) {
                buffer.push(record);
                if buffer.len() >= BATCH_ROWS {
                    flush(&mut buffer, &mut copied)?;
                }
            } else {
                skipped += 1;
            }
            Ok(ControlFlow::Continue(()))
        })
        .context("copying outcomes")?;
    flush(&mut buffer, &mut copied).context("copying outcomes")?;
    Ok((copied, skipped))
}

/// Publishes the versions the destination lacks, the source's current one last and
/// forced, so that it is current there too.
fn copy_models(from: &Store, to: &Store) -> anyhow::Result<(u64, u64)> {
    let have: HashSet<String> = to
        .models()
        .versions()?
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let current = from.models().current_version()?;
    let mut versions = from.models().versions()?;
    // The current one last.
    versions.sort_by_key(|v| Some(v) == current.as_ref());
    let (mut copied, mut skipped) = (0, 0);
    for version in versions {
        let is_current = Some(&version) == current.as_ref();
        let current_there = to.models().current_version()?.as_ref() == Some(&version);
        if have.contains(version.as_str()) && (!is_current || current_there) {
            skipped += 1;
            continue;
        }
        let model = from.models().load(&version)?;
        let profile = from.models().load_profile(&version)?;
        // The others are published without being promoted (no AUC beats its current
        // model's by 2), so that no older version becomes current on the way.
        let policy = if is_current {
            PromotionPolicy {
                force: true,
                ..PromotionPolicy::default()
            }
        } else {
            PromotionPolicy {
                auc_tolerance: -2.0,
                force: false,
            }
        };
        to.models()
            .publish(model.artifact().clone(), profile.as_ref(), &policy)
            .with_context(|| format!("publishing model {}", version.as_str()))?;
        copied += 1;
    }
    Ok((copied, skipped))
}
