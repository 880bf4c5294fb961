//! One function per section of the page, in page order. Each writes into `page` and
//! escapes every string that came from the store.

use std::fmt::Write as _;

use crate::drift::{DriftReport, DriftRule, FeatureDrift, PsiBand, VerdictReason, VerdictStatus};
use crate::records::{Alert, FeatureKind, MetricName, MetricSource, MetricsEntry};

use super::escape::{decimal, escape, instant, p_value, percent};
use super::gather::ReportData;
use super::svg::{BarsSize, CURRENT_COLOUR, REFERENCE_COLOUR, Series, bars, lines};

/// The PSI bands as the page states them; a test checks them against
/// [`PsiBand::from_psi`], the function every report uses.
pub const PSI_BANDS: [(PsiBand, &str, &str); 3] = [
    (
        PsiBand::Stable,
        "below 0.1",
        "the distribution has not moved in a way that matters",
    ),
    (
        PsiBand::Moderate,
        "0.1 to below 0.25",
        "a shift worth watching; look at the bins that moved",
    ),
    (
        PsiBand::Significant,
        "0.25 and above",
        "a large shift: the model sees a population unlike its training data",
    ),
];

/// Pipeline run errors are cut to this many characters.
const MAX_ERROR_CHARS: usize = 200;

fn band_name(band: PsiBand) -> &'static str {
    match band {
        PsiBand::Stable => "stable",
        PsiBand::Moderate => "moderate",
        PsiBand::Significant => "significant",
    }
}

pub(super) fn band_cell(band: Option<PsiBand>) -> String {
    band.map_or_else(
        || "<span class=\"muted\">n/a</span>".to_owned(),
        |band| {
            let name = band_name(band);
            format!("<span class=\"band {name}\">{name}</span>")
        },
    )
}

fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

/// Title, model facts, data window and verdict.
pub fn header(page: &mut String, data: &ReportData, title: &str) {
    let _ = writeln!(
        page,
        "<header>\n<h1>{}</h1>\n<p class=\"lead\">Model monitoring report, generated {}</p>",
        escape(title),
        instant(data.generated_at)
    );
    let Some(model) = &data.model else {
        page.push_str(
            "<div class=\"empty\" id=\"empty-window\"><strong>No model is published yet.</strong> \
             There is nothing to report: train a first model (<code>scorewatch train</code> or \
             <code>POST /monitoring/run-pipeline</code>) and serve some predictions.</div>\n</header>\n",
        );
        return;
    };
    page.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(
        page,
        "<dt>Model version</dt><dd id=\"model-version\">{}{}</dd>",
        escape(&model.version),
        if model.current {
            " (current model)"
        } else {
            " (not the current model)"
        }
    );
    let _ = writeln!(
        page,
        "<dt>Trained</dt><dd id=\"trained-at\">{}</dd>\n<dt>Training data</dt><dd>{} rows, {} validation rows, {} features</dd>\n<dt>Decision threshold</dt><dd>{}</dd>",
        instant(model.created_at),
        model.training_rows,
        model.validation_rows,
        model.features.len(),
        decimal(model.threshold)
    );
    let window = &data.window;
    let bounds = match (window.since, window.until) {
        (None, None) => format!("the newest {} predictions", window.limit),
        (since, until) => format!(
            "the newest {} predictions {}{}",
            window.limit,
            since.map_or_else(String::new, |t| format!("since {} ", instant(t))),
            until.map_or_else(String::new, |t| format!("until {}", instant(t)))
        ),
    };
    let read = match (window.from, window.to) {
        (Some(from), Some(to)) => format!(
            "{} predictions from {} to {}",
            window.rows,
            instant(from),
            instant(to)
        ),
        _ => "no predictions".to_owned(),
    };
    let _ = writeln!(
        page,
        "<dt>Data window</dt><dd id=\"data-window\" data-rows=\"{}\">{read} (asked for {})</dd>",
        window.rows,
        escape(bounds.trim_end())
    );
    if let Some(drift) = &data.drift {
        let _ = writeln!(
            page,
            "<dt>Reference</dt><dd>{} ({} rows)</dd>",
            escape(&drift.reference.description),
            drift.reference.rows
        );
    }
    page.push_str("</dl>\n");
    verdict(page, data);
    firing_alerts(page, data);
    if window.rows == 0 {
        let _ = writeln!(
            page,
            "<div class=\"empty\" id=\"empty-window\"><strong>This window holds no predictions of model {}.</strong> \
             There is no drift, production performance or data quality to show for it. Widen the \
             window (<code>--since</code>/<code>--until</code>) or choose another model version.</div>",
            escape(&model.version)
        );
    }
    page.push_str("</header>\n");
}

fn verdict(page: &mut String, data: &ReportData) {
    page.push_str("<div id=\"verdict\">\n");
    match &data.drift {
        None => {
            let _ = writeln!(
                page,
                "<p><span class=\"verdict unknown\">NO VERDICT</span> {}</p>",
                escape(data.drift_missing.as_deref().unwrap_or("no drift report"))
            );
        }
        Some(drift) => match drift.verdict.status {
            VerdictStatus::Stable => page.push_str(
                "<p><span class=\"verdict stable\">STABLE</span> Neither the score nor enough \
                 features drifted.</p>\n",
            ),
            VerdictStatus::Drifted => {
                page.push_str("<p><span class=\"verdict drifted\">DRIFTED</span></p>\n<ul>\n");
                for reason in &drift.verdict.reasons {
                    let _ = write!(page, "<li>{}", escape(&reason.to_string()));
                    if let VerdictReason::FeatureShare {
                        drifted_features, ..
                    } = reason
                    {
                        let _ = write!(page, ": {}", escape(&drifted_features.join(", ")));
                    }
                    page.push_str("</li>\n");
                }
                page.push_str("</ul>\n");
            }
        },
    }
    page.push_str("</div>\n");
}

/// The alerts firing when the report was made: severity and summary, most severe first.
fn firing_alerts(page: &mut String, data: &ReportData) {
    page.push_str("<div id=\"alerts\">\n");
    if data.firing_alerts.is_empty() {
        page.push_str("<p class=\"muted\">No alerts firing.</p>\n</div>\n");
        return;
    }
    let mut alerts: Vec<&Alert> = data.firing_alerts.iter().collect();
    // A stable sort: within a severity, newest first as gathered.
    alerts.sort_by_key(|a| std::cmp::Reverse(a.severity));
    let _ = writeln!(
        page,
        "<p><strong>{} alert{} firing</strong> (when the report was made):</p>\n<ul class=\"alerts\">",
        alerts.len(),
        if alerts.len() == 1 { "" } else { "s" }
    );
    for alert in alerts {
        let severity = alert.severity.as_str();
        let _ = writeln!(
            page,
            "<li data-rule=\"{}\" data-severity=\"{severity}\"><span class=\"severity {severity}\">{severity}</span> {} <span class=\"muted\">since {}</span></li>",
            alert.rule.as_str(),
            escape(&alert.summary),
            instant(alert.since)
        );
    }
    page.push_str("</ul>\n</div>\n");
}

/// Training, validation and production metrics, and the history plot.
pub fn performance(page: &mut String, data: &ReportData) {
    if data.model.is_none() {
        return;
    }
    page.push_str("<section id=\"performance\">\n<h2>Performance</h2>\n");
    // The newest estimate without outcomes of this model (the background drift job
    // records one per interval); it covers AUC and the threshold metrics only.
    let version = data.model.as_ref().map(|m| m.version.as_str());
    let estimated = data
        .history
        .iter()
        .rev()
        .find(|e| e.source == MetricSource::Estimated && e.model_version.as_deref() == version);
    let columns: [(&str, MetricSource, Option<&MetricsEntry>); 4] = [
        ("Training", MetricSource::Training, data.training.as_ref()),
        (
            "Validation",
            MetricSource::Validation,
            data.validation.as_ref(),
        ),
        (
            "Production (this window)",
            MetricSource::Production,
            data.production.as_ref(),
        ),
        (
            "Estimated (newest, no outcomes)",
            MetricSource::Estimated,
            estimated,
        ),
    ];
    page.push_str("<table id=\"metrics\">\n<thead><tr><th>Metric</th>");
    for (label, _, _) in &columns {
        let _ = write!(page, "<th class=\"num\">{label}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n<tr><td>Labelled rows</td>");
    for (_, source, entry) in &columns {
        let rows = entry
            .and_then(|e| e.rows)
            .map_or_else(|| "—".to_owned(), |r| r.to_string());
        let _ = write!(
            page,
            "<td class=\"num\" data-rows=\"{}\">{rows}</td>",
            source_name(*source)
        );
    }
    page.push_str("</tr>\n");
    for metric in MetricName::COMPUTED {
        let _ = write!(page, "<tr><td>{}</td>", metric.label());
        for (_, source, entry) in &columns {
            let key = metric.as_str();
            let cell = match entry {
                None => "—".to_owned(),
                Some(entry) => match entry.metrics.get(key) {
                    Some(value) => decimal(*value),
                    None => match entry.undefined.get(key) {
                        Some(why) => format!("<span title=\"{}\">n/a</span>", escape(why)),
                        None => "—".to_owned(),
                    },
                },
            };
            let _ = write!(
                page,
                "<td class=\"num\" data-metric=\"{key}\" data-source=\"{}\">{cell}</td>",
                source_name(*source)
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
    if data.production.is_none() {
        page.push_str(
            "<p class=\"muted\">No prediction in this window has an outcome yet, so there are \
             no production metrics. Outcomes arrive through <code>POST /monitoring/outcomes</code>.</p>\n",
        );
    }
    history_plot(page, data);
    page.push_str("</section>\n");
}

fn source_name(source: MetricSource) -> &'static str {
    match source {
        MetricSource::Training => "training",
        MetricSource::Validation => "validation",
        MetricSource::Manual => "manual",
        MetricSource::Production => "production",
        MetricSource::Estimated => "estimated",
    }
}

fn history_plot(page: &mut String, data: &ReportData) {
    let key = MetricName::RocAuc.as_str();
    let series: Vec<Series> = [
        (MetricSource::Training, "#55a868"),
        (MetricSource::Validation, REFERENCE_COLOUR),
        (MetricSource::Production, CURRENT_COLOUR),
        (MetricSource::Manual, "#8172b3"),
        (MetricSource::Estimated, "#dd8452"),
    ]
    .into_iter()
    .map(|(source, colour)| Series {
        name: source_name(source).to_owned(),
        colour,
        points: data
            .history
            .iter()
            .filter(|e| e.source == source)
            .filter_map(|e| {
                e.metrics
                    .get(key)
                    .map(|v| (e.timestamp.unix_timestamp(), *v))
            })
            .collect(),
    })
    .filter(|s| !s.points.is_empty())
    .collect();
    page.push_str("<h3>AUC over time</h3>\n");
    if series.is_empty() {
        page.push_str(
            "<p class=\"muted\">The metrics history holds no AUC of this model yet.</p>\n",
        );
        return;
    }
    let points: usize = series.iter().map(|s| s.points.len()).sum();
    let _ = writeln!(
        page,
        "<figure id=\"history-plot\">{}<figcaption class=\"muted\">{points} entries of the metrics history (<code>GET /monitoring/metrics</code>), oldest to newest.</figcaption></figure>",
        lines(&series, 760.0, 240.0, "AUC over time")
    );
}

/// The score's bins, reference against current.
pub fn score_distribution(page: &mut String, data: &ReportData) {
    let Some(drift) = &data.drift else {
        return;
    };
    page.push_str("<section id=\"score\">\n<h2>Score distribution</h2>\n");
    match &drift.score {
        None => page.push_str("<p class=\"muted\">The window carries no model score.</p>\n"),
        Some(score) => {
            let _ = writeln!(
                page,
                "<p>Score PSI <strong id=\"score-psi\" data-psi=\"{}\">{}</strong> {}{}</p>",
                score.psi.map_or_else(String::new, decimal),
                score.psi.map_or_else(|| "n/a".to_owned(), decimal),
                band_cell(score.psi_band),
                score.ks.map_or_else(String::new, |ks| format!(
                    "; KS D = {}, p = {}",
                    decimal(ks.statistic),
                    p_value(ks.p_value)
                ))
            );
            let _ = writeln!(
                page,
                "<figure>{}<figcaption class=\"muted\">Share of predictions per score bin: the bins are the deciles of the training scores.</figcaption></figure>",
                bars(
                    &score.bins,
                    BarsSize {
                        width: 760.0,
                        height: 280.0,
                        detailed: true,
                    },
                    "Score distribution, reference vs current"
                )
            );
        }
    }
    page.push_str("</section>\n");
}

fn test_cell(feature: &FeatureDrift) -> String {
    if let Some(ks) = feature.ks {
        format!("KS D={} p={}", decimal(ks.statistic), p_value(ks.p_value))
    } else if let Some(chi2) = feature.chi2 {
        format!(
            "χ² {:.2} (dof {}) p={}",
            chi2.statistic,
            chi2.dof,
            p_value(chi2.p_value)
        )
    } else {
        "—".to_owned()
    }
}

/// One row per feature with its PSI, band, test and a small bin plot.
pub fn drift_table(page: &mut String, data: &ReportData) {
    let Some(drift) = &data.drift else {
        return;
    };
    page.push_str("<section id=\"drift\">\n<h2>Feature drift</h2>\n");
    let _ = writeln!(
        page,
        "<p>{} of {} features drifted ({}; the data set counts as drifted from {}).</p>",
        drift.features.iter().filter(|f| f.drifted).count(),
        drift.features.len(),
        percent(drift.drifted_share),
        percent(drift.dataset_drift_threshold)
    );
    page.push_str(
        "<table id=\"drift-table\">\n<thead><tr><th>Feature</th><th>Kind</th><th class=\"num\">PSI</th>\
         <th>Band</th><th>Test</th><th>Drifted</th><th>Bins (reference / current)</th></tr></thead>\n<tbody>\n",
    );
    for feature in &drift.features {
        let _ = writeln!(
            page,
            "<tr data-feature=\"{name}\"{class}><td>{name}</td><td>{kind}</td><td class=\"num\" data-psi=\"{psi_raw}\">{psi}</td><td>{band}</td><td>{test}</td><td>{drifted}</td><td>{plot}</td></tr>",
            name = escape(&feature.name),
            class = if feature.drifted {
                " class=\"drifted\""
            } else {
                ""
            },
            kind = kind_name(feature.kind),
            psi_raw = feature.psi.map_or_else(String::new, decimal),
            psi = feature.psi.map_or_else(|| "n/a".to_owned(), decimal),
            band = band_cell(feature.psi_band),
            test = escape(&test_cell(feature)),
            drifted = if feature.drifted {
                "<strong>yes</strong>".to_owned()
            } else if feature.psi.is_none() {
                format!("<span class=\"muted\">{}</span>", escape(&feature.reason))
            } else {
                "no".to_owned()
            },
            plot = bars(
                &feature.bins,
                BarsSize {
                    width: 160.0,
                    height: 36.0,
                    detailed: false,
                },
                &format!("{}: bins, reference vs current", feature.name)
            ),
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// Per feature, the window's missing values beside the training data's, the numeric
/// values outside the training range and the categories training never saw: the drift
/// report's `data_quality` section, so the page shows the numbers the API serves.
pub fn data_quality(page: &mut String, data: &ReportData) {
    let Some(quality) = data.drift.as_ref().and_then(|d| d.data_quality.as_ref()) else {
        return;
    };
    page.push_str("<section id=\"quality\">\n<h2>Data quality</h2>\n");
    let _ = writeln!(
        page,
        "<p>Missing values per feature in the {} predictions of the window, beside the training data's; \
         values outside the training range and categories training never saw, as shares of the values present.</p>",
        quality.rows
    );
    page.push_str(
        "<table id=\"quality-table\">\n<thead><tr><th>Feature</th><th class=\"num\">Missing (reference)</th>\
         <th class=\"num\">Missing (current)</th><th></th><th class=\"num\">Outside training range</th>\
         <th class=\"num\">Unseen categories</th></tr></thead>\n<tbody>\n",
    );
    for feature in &quality.features {
        let (out_of_range, unseen) = match feature.kind {
            FeatureKind::Numeric => (percent(feature.out_of_range_share), "—".to_owned()),
            FeatureKind::Categorical => ("—".to_owned(), percent(feature.unseen_category_share)),
        };
        let _ = writeln!(
            page,
            "<tr data-feature=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\" data-missing=\"{}\">{}</td><td><span class=\"meter\"><span style=\"width:{:.1}%\"></span></span></td><td class=\"num\" data-out-of-range=\"{}\">{out_of_range}</td><td class=\"num\" data-unseen=\"{}\">{unseen}</td></tr>",
            escape(&feature.name),
            escape(&feature.name),
            percent(feature.reference_missing_share),
            decimal(feature.missing_share),
            percent(feature.missing_share),
            100.0 * feature.missing_share.clamp(0.0, 1.0),
            decimal(feature.out_of_range_share),
            decimal(feature.unseen_category_share),
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// The pipeline's state and its newest runs.
pub fn pipeline_runs(page: &mut String, data: &ReportData) {
    page.push_str("<section id=\"runs\">\n<h2>Recent pipeline runs</h2>\n");
    let _ = writeln!(
        page,
        "<p>Pipeline state: <strong>{}</strong>.</p>",
        escape(&data.pipeline_state)
    );
    if data.runs.is_empty() {
        page.push_str("<p class=\"muted\">No run has finished yet.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<table id=\"runs-table\">\n<thead><tr><th>Started</th><th>Finished</th><th>Outcome</th>\
         <th>Model version</th><th class=\"num\">Training rows</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for run in &data.runs {
        let outcome = serde_json::to_value(run.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let rows: u64 = run.data.iter().map(|d| d.rows).sum();
        let note: String = run
            .error
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(MAX_ERROR_CHARS)
            .collect();
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{rows}</td><td>{}</td></tr>",
            instant(run.started_at),
            instant(run.finished_at),
            escape(&outcome),
            escape(run.model_version.as_deref().unwrap_or("—")),
            escape(&note)
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// What the numbers mean, with the bands and rules of this report.
pub fn how_to_read(page: &mut String, data: &ReportData) {
    page.push_str("<section id=\"how-to-read\">\n<h2>How to read this report</h2>\n");
    page.push_str(
        "<p><strong>PSI</strong> (population stability index) compares the share of rows in \
         each bin of the training data (the reference) with the current window: \
         PSI = Σ (current − reference) · ln(current / reference). The bins are fixed on the \
         reference (deciles for numbers, categories for text), so values from different \
         windows compare.</p>\n<table id=\"psi-bands\">\n<thead><tr><th>PSI</th><th>Band</th><th>Meaning</th></tr></thead>\n<tbody>\n",
    );
    for (band, range, meaning) in PSI_BANDS {
        let _ = writeln!(
            page,
            "<tr><td>{range}</td><td>{}</td><td>{meaning}</td></tr>",
            band_cell(Some(band))
        );
    }
    page.push_str("</tbody>\n</table>\n");
    let rule = data.drift.as_ref().map(|d: &DriftReport| match d.rule {
        DriftRule::PsiBand { min_band } => format!(
            "a feature counts as drifted when its PSI band is {} or worse",
            band_name(min_band)
        ),
        DriftRule::PValue { alpha } => format!(
            "a feature counts as drifted when its KS or chi-square p-value is below {alpha}"
        ),
    });
    if let Some(rule) = rule {
        let _ = writeln!(page, "<p>In this report {rule}.</p>");
    }
    page.push_str(
        "<p>The <strong>verdict</strong> is DRIFTED when the model score's PSI is significant \
         (the score is the first stability index of a scoring model), or when the share of \
         drifted features reaches the data set threshold; the reasons list which rule fired.</p>\n\
         <p><strong>KS</strong> (numeric features) is the largest gap between the two \
         cumulative distributions, and <strong>χ²</strong> (categorical features) tests \
         whether the category shares differ; with many rows their p-values are tiny even for \
         shifts too small to matter, so read them beside the PSI.</p>\n\
         <p><strong>Performance</strong>: training and validation come from the metrics \
         history of the model; production is computed on the predictions of this window \
         that have an outcome, so it lags the outcomes. AUC and Gini measure ranking, Brier \
         and log loss the probabilities, accuracy, precision, recall and F1 the decisions at \
         the threshold.</p>\n</section>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_psi_bands_are_the_bands_reports_use() {
        // (below the band, at its start) for each band the page states.
        for (value, band) in [
            (0.0, PsiBand::Stable),
            (0.099_999, PsiBand::Stable),
            (0.1, PsiBand::Moderate),
            (0.249_999, PsiBand::Moderate),
            (0.25, PsiBand::Significant),
        ] {
            assert_eq!(PsiBand::from_psi(value), band, "{value}");
        }
        assert_eq!(PSI_BANDS[0].1, "below 0.1");
        assert_eq!(PSI_BANDS[1].1, "0.1 to below 0.25");
        assert_eq!(PSI_BANDS[2].1, "0.25 and above");
    }
}
