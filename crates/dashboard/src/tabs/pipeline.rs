//! Pipeline: run and cancel (they need the key), progress of the current run, recent runs.

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use scorewatch_core::views::RunPipelineRequest;
use scorewatch_core::{
    DEFAULT_TRAINING_FILE, PipelineState, PipelineStatus, RunOutcome, Stage, TrainingSetSummary,
};

use crate::action::Action;
use crate::format;
use crate::tabs::{BAD, GOOD, NEUTRAL, WARN, badge, pipeline_state_text};

/// Draws the pipeline tab.
pub fn show(
    ui: &mut egui::Ui,
    status: Option<&PipelineStatus>,
    training_sets: Option<&[TrainingSetSummary]>,
    error: Option<&String>,
    options: &mut RunPipelineRequest,
    has_key: bool,
    actions: &mut Vec<Action>,
) {
    if let Some(error) = error {
        ui.colored_label(BAD, format!("Pipeline status: {error}"));
    }
    let running = status.is_some_and(|s| matches!(s.state, PipelineState::Running { .. }));
    controls(ui, options, training_sets, has_key, running, actions);
    ui.add_space(8.0);
    let Some(status) = status else {
        ui.label("Loading the pipeline status...");
        return;
    };
    current(ui, &status.state);
    ui.add_space(8.0);
    ui.heading("Recent runs");
    if status.runs.is_empty() {
        ui.label("No run yet.");
        return;
    }
    runs_table(ui, status);
}

fn controls(
    ui: &mut egui::Ui,
    options: &mut RunPipelineRequest,
    training_sets: Option<&[TrainingSetSummary]>,
    has_key: bool,
    running: bool,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Training file");
        match training_sets {
            Some(sets) if !sets.is_empty() => training_set_choice(ui, label.id, options, sets),
            _ => training_file_entry(ui, label.id, options),
        }
        let mut include = options.include_production.unwrap_or(true);
        if ui
            .checkbox(&mut include, "Add labelled production rows")
            .changed()
        {
            options.include_production = Some(include);
        }
        ui.checkbox(&mut options.force, "Promote even if worse");
    });
    ui.horizontal(|ui| {
        let run = ui.add_enabled(has_key && !running, egui::Button::new("Run pipeline"));
        if run.clicked() {
            actions.push(Action::RunPipeline(options.clone()));
        }
        let cancel = ui.add_enabled(has_key && running, egui::Button::new("Cancel run"));
        if cancel.clicked() {
            actions.push(Action::CancelPipeline);
        }
        if !has_key {
            ui.label(
                "Running and cancelling need the API key: --api-key, SCOREWATCH_API_KEY, the key \
                 file <data dir>/secrets/api_key, or Settings.",
            );
        }
    });
}

/// A choice among the server's training sets (`GET /monitoring/training-data`).
fn training_set_choice(
    ui: &mut egui::Ui,
    label: egui::Id,
    options: &mut RunPipelineRequest,
    sets: &[TrainingSetSummary],
) {
    let chosen = options
        .training_file
        .clone()
        .unwrap_or_else(|| DEFAULT_TRAINING_FILE.to_owned());
    egui::ComboBox::from_id_salt("training_set")
        .selected_text(chosen.as_str())
        .show_ui(ui, |ui| {
            for set in sets {
                let text = match set.rows {
                    Some(rows) => format!("{} ({rows} rows)", set.name),
                    None => format!("{} (not readable CSV)", set.name),
                };
                if ui.selectable_label(set.name == chosen, text).clicked() {
                    options.training_file = Some(set.name.clone());
                }
            }
        })
        .response
        .labelled_by(label);
    if let Some(set) = sets.iter().find(|s| s.name == chosen) {
        if let Some(problem) = &set.problem {
            ui.colored_label(BAD, problem);
        }
    } else {
        ui.colored_label(
            WARN,
            format!("The server has no training set named {chosen}."),
        );
    }
}

/// A typed name, when the server's sets are not known (yet, or the listing failed).
fn training_file_entry(ui: &mut egui::Ui, label: egui::Id, options: &mut RunPipelineRequest) {
    let mut file = options.training_file.clone().unwrap_or_default();
    if ui
        .add(
            egui::TextEdit::singleline(&mut file)
                .hint_text(DEFAULT_TRAINING_FILE)
                .desired_width(160.0),
        )
        .labelled_by(label)
        .changed()
    {
        let file = file.trim();
        options.training_file = (!file.is_empty()).then(|| file.to_owned());
    }
}

fn current(ui: &mut egui::Ui, state: &PipelineState) {
    ui.horizontal(|ui| {
        ui.label("State:");
        let color = match state {
            PipelineState::Failed { .. } => BAD,
            PipelineState::Succeeded { .. } => GOOD,
            PipelineState::Cancelled { .. } => WARN,
            PipelineState::Idle | PipelineState::Running { .. } => NEUTRAL,
        };
        badge(ui, &pipeline_state_text(state), color);
    });
    if let PipelineState::Running {
        run_id,
        stage,
        progress,
        started_at,
    } = state
    {
        #[expect(clippy::cast_possible_truncation, reason = "progress is in [0, 1]")]
        let fraction = progress.clamp(0.0, 1.0) as f32;
        ui.add(
            egui::ProgressBar::new(fraction)
                .show_percentage()
                .text(format!("{stage} ({:.0}%)", progress * 100.0)),
        );
        ui.label(format!(
            "Run {run_id}, started {} UTC",
            format::format_time(*started_at)
        ));
    }
}

fn outcome(outcome: RunOutcome) -> RichText {
    match outcome {
        RunOutcome::Promoted => RichText::new("promoted").color(GOOD),
        RunOutcome::Rejected => RichText::new("rejected").color(WARN),
        RunOutcome::Failed => RichText::new("failed").color(BAD),
        RunOutcome::Cancelled => RichText::new("cancelled").color(NEUTRAL),
    }
}

fn runs_table(ui: &mut egui::Ui, status: &PipelineStatus) {
    TableBuilder::new(ui)
        .id_salt("runs_table")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(90.0))
        .column(Column::remainder().clip(true))
        .header(22.0, |mut header| {
            for title in [
                "Started (UTC)",
                "Duration",
                "Outcome",
                "Model",
                "Stopped at",
                "Error / data",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            // Newest first: the status keeps them newest last.
            for run in status.runs.iter().rev() {
                body.row(20.0, |mut row| {
                    row.col(|ui| {
                        ui.label(format::format_time(run.started_at));
                    });
                    row.col(|ui| {
                        let seconds = (run.finished_at - run.started_at).as_seconds_f64();
                        let stages = run
                            .stage_seconds
                            .iter()
                            .map(|(stage, s)| format!("{stage}: {}", format::format_duration(*s)))
                            .collect::<Vec<_>>()
                            .join("\n");
                        let label = ui.label(format::format_duration(seconds));
                        if !stages.is_empty() {
                            label.on_hover_text(stages);
                        }
                    });
                    row.col(|ui| {
                        ui.label(outcome(run.outcome));
                    });
                    row.col(|ui| {
                        ui.label(run.model_version.as_deref().unwrap_or("—"));
                    });
                    row.col(|ui| {
                        ui.label(run.last_stage.map_or("—", Stage::label));
                    });
                    row.col(|ui| {
                        let text = match &run.error {
                            Some(error) => RichText::new(error).color(BAD),
                            None => RichText::new(
                                run.data
                                    .iter()
                                    .map(|d| format!("{} ({} rows)", d.name, d.rows))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                        };
                        ui.label(text).on_hover_text(format!("run {}", run.run_id));
                    });
                });
            }
        });
}
