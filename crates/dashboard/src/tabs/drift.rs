//! Drift: the report as a sortable table, per-bin shares of the selected feature as paired
//! bars, a selector of earlier reports and a button to run a check now.

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Legend, Plot};
use scorewatch_core::{DriftReport, FeatureDrift, FeatureKind};

use crate::action::Action;
use crate::format;
use crate::state::{self, DriftColumn, DriftState};
use crate::tabs::{BAD, GOOD, badge, band_color, empty_state};

const REFERENCE_COLOR: egui::Color32 = egui::Color32::from_rgb(120, 144, 200);
const CURRENT_COLOR: egui::Color32 = egui::Color32::from_rgb(230, 140, 60);

/// Draws the drift tab.
pub fn show(ui: &mut egui::Ui, drift: &mut DriftState, has_key: bool, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let run = ui.add_enabled(has_key, egui::Button::new("Run drift check"));
        let run = if has_key {
            run.on_hover_text("Compare the newest predictions with the model's reference profile")
        } else {
            run.on_disabled_hover_text("Needs the API key (Settings, --api-key or the key file)")
        };
        if run.clicked() {
            actions.push(Action::RunDriftCheck);
        }
        if !has_key {
            ui.label("Running a check needs the API key.");
        }
        if !drift.history.is_empty() {
            report_selector(ui, drift, actions);
        }
    });
    if !drift.loaded {
        ui.label("Loading the drift report...");
        return;
    }
    let Some(report) = &drift.report else {
        empty_state(
            ui,
            "No drift report yet",
            "Press \"Run drift check\" (needs the API key), or run `scorewatch drift`. A report \
             needs a trained model (its reference profile) and logged predictions.",
        );
        return;
    };
    summary(ui, report);
    ui.add_space(6.0);
    table(
        ui,
        report,
        (&mut drift.sort, &mut drift.descending),
        &mut drift.selected_feature,
    );
    let selected = drift.selected_feature.as_ref().and_then(|name| {
        report
            .features
            .iter()
            .chain(report.score.iter())
            .find(|f| &f.name == name)
    });
    if let Some(feature) = selected {
        ui.add_space(8.0);
        bins_chart(ui, feature);
    } else {
        ui.label("Select a feature to see its reference and current shares per bin.");
    }
    ui.add_space(10.0);
    super::drift_segments::show(ui, drift, report, actions);
    super::segment_metrics::show(ui, drift);
}

fn report_selector(ui: &mut egui::Ui, drift: &DriftState, actions: &mut Vec<Action>) {
    let shown_id = drift.report.as_ref().map(|r| r.id.as_str());
    let text = |summary: &scorewatch_core::views::DriftSummary| {
        format!(
            "{} UTC  {}  {:.0}% drifted",
            format::format_time(summary.computed_at),
            summary.model_version.as_deref().unwrap_or("-"),
            summary.drifted_share * 100.0
        )
    };
    let selected_text = drift
        .history
        .iter()
        .find(|s| Some(s.id.as_str()) == shown_id)
        .map_or_else(|| "choose a report".to_owned(), text);
    egui::ComboBox::from_label("Report")
        .selected_text(selected_text)
        .width(320.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(drift.pinned.is_none(), "Latest")
                .clicked()
            {
                actions.push(Action::ShowDriftReport(None));
            }
            for summary in &drift.history {
                if ui
                    .selectable_label(Some(summary.id.as_str()) == shown_id, text(summary))
                    .clicked()
                {
                    actions.push(Action::ShowDriftReport(Some(summary.id.clone())));
                }
            }
        });
}

fn summary(ui: &mut egui::Ui, report: &DriftReport) {
    ui.horizontal(|ui| {
        let (headline, drifted) = state::drift_headline(report);
        badge(ui, &headline, if drifted { BAD } else { GOOD });
        ui.label(format!(
            "{:.0}% of {} features drifted (threshold {:.0}%), computed {} UTC",
            report.drifted_share * 100.0,
            report.features.len(),
            report.dataset_drift_threshold * 100.0,
            format::format_time(report.computed_at)
        ));
    });
    ui.label(format!(
        "Reference: {} ({} rows). Current: {} ({} rows).",
        report.reference.description,
        report.reference.rows,
        report.current.description,
        report.current.rows
    ));
}

/// A sortable column title; `sort` is (column, descending).
fn header(ui: &mut egui::Ui, title: &str, column: DriftColumn, sort: &mut (DriftColumn, bool)) {
    let arrow = match (sort.0 == column, sort.1) {
        (true, false) => " ^",
        (true, true) => " v",
        (false, _) => "",
    };
    if ui
        .button(RichText::new(format!("{title}{arrow}")).strong())
        .on_hover_text("Sort")
        .clicked()
    {
        if sort.0 == column {
            sort.1 = !sort.1;
        } else {
            // Big values first is the useful default for statistics; names and p-values go
            // up (the most significant p-values are the smallest).
            *sort = (
                column,
                !matches!(column, DriftColumn::Feature | DriftColumn::PValue),
            );
        }
    }
}

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn p_value_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn table(
    ui: &mut egui::Ui,
    report: &DriftReport,
    (sort_column, descending): (&mut DriftColumn, &mut bool),
    selected_feature: &mut Option<String>,
) {
    let order = state::sorted_features(report, *sort_column, *descending);
    let rows: Vec<&FeatureDrift> = order
        .iter()
        .map(|&i| &report.features[i])
        .chain(report.score.iter())
        .collect();
    let mut clicked = None;
    let mut sort = (*sort_column, *descending);
    TableBuilder::new(ui)
        .id_salt("drift_table")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto())
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::remainder())
        .header(24.0, |mut row| {
            row.col(|ui| header(ui, "Feature", DriftColumn::Feature, &mut sort));
            row.col(|ui| {
                ui.strong("Kind");
            });
            row.col(|ui| header(ui, "PSI", DriftColumn::Psi, &mut sort));
            row.col(|ui| header(ui, "KS / χ²", DriftColumn::Statistic, &mut sort));
            row.col(|ui| header(ui, "p-value", DriftColumn::PValue, &mut sort));
            row.col(|ui| {
                ui.strong("Missing ref");
            });
            row.col(|ui| header(ui, "Missing cur", DriftColumn::Missing, &mut sort));
            row.col(|ui| {
                ui.strong("Verdict");
            });
        })
        .body(|mut body| {
            for feature in rows {
                body.row(22.0, |mut row| {
                    let selected = selected_feature.as_deref() == Some(&feature.name);
                    if feature_row(&mut row, feature, selected) {
                        clicked = Some(feature.name.clone());
                    }
                });
            }
        });
    (*sort_column, *descending) = sort;
    if let Some(name) = clicked {
        *selected_feature = if selected_feature.as_deref() == Some(&name) {
            None
        } else {
            Some(name)
        };
    }
}

fn bins_chart(ui: &mut egui::Ui, feature: &FeatureDrift) {
    ui.label(
        RichText::new(format!(
            "{}: share of rows per bin, reference vs current (PSI {})",
            feature.name,
            fmt_opt(feature.psi, 4)
        ))
        .strong(),
    );
    let labels: Vec<String> = feature.bins.iter().map(|b| b.label.clone()).collect();
    #[expect(clippy::cast_precision_loss, reason = "bin counts are small")]
    let bars = |current: bool| -> Vec<Bar> {
        feature
            .bins
            .iter()
            .enumerate()
            .map(|(i, bin)| {
                let (offset, share) = if current {
                    (0.2, bin.current_share)
                } else {
                    (-0.2, bin.reference_share)
                };
                Bar::new(i as f64 + offset, share)
                    .width(0.38)
                    .name(&bin.label)
            })
            .collect()
    };
    Plot::new(("drift_bins", &feature.name))
        .height(260.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .include_y(0.0)
        .x_axis_formatter(move |mark, _range| {
            let index = mark.value.round();
            if (mark.value - index).abs() > 1e-6 || index < 0.0 {
                return String::new();
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked non-negative integer"
            )]
            labels.get(index as usize).cloned().unwrap_or_default()
        })
        .y_axis_formatter(|mark, _range| format!("{:.0}%", mark.value * 100.0))
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("reference", bars(false)).color(REFERENCE_COLOR));
            plot.bar_chart(BarChart::new("current", bars(true)).color(CURRENT_COLOR));
        });
}

/// Draws one feature's cells; returns whether its name was clicked.
fn feature_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    feature: &FeatureDrift,
    selected: bool,
) -> bool {
    let mut clicked = false;
    row.set_selected(selected);
    row.col(|ui| {
        let name = if feature.name == "score" {
            format!("{} (model score)", feature.name)
        } else {
            feature.name.clone()
        };
        clicked = ui.selectable_label(selected, name).clicked();
    });
    row.col(|ui| {
        ui.label(match feature.kind {
            FeatureKind::Numeric => "numeric",
            FeatureKind::Categorical => "categorical",
        });
    });
    row.col(|ui| {
        ui.label(
            RichText::new(fmt_opt(feature.psi, 4))
                .color(band_color(feature.psi_band))
                .strong(),
        );
    });
    row.col(|ui| {
        ui.label(match (feature.ks, feature.chi2) {
            (Some(ks), _) => format!("KS {:.4}", ks.statistic),
            (None, Some(chi2)) => format!("χ² {:.2} (dof {})", chi2.statistic, chi2.dof),
            (None, None) => "—".into(),
        });
    });
    row.col(|ui| {
        let p = feature
            .ks
            .map(|k| k.p_value)
            .or(feature.chi2.map(|c| c.p_value));
        ui.label(p.map_or_else(|| "—".into(), p_value_text));
    });
    row.col(|ui| {
        ui.label(format!("{:.1}%", feature.missing_reference * 100.0));
    });
    row.col(|ui| {
        ui.label(format!("{:.1}%", feature.missing_current * 100.0));
    });
    row.col(|ui| {
        let text = if feature.drifted {
            RichText::new("drifted").color(BAD)
        } else {
            RichText::new("ok").color(GOOD)
        };
        ui.label(text).on_hover_text(&feature.reason);
    });
    clicked
}
