//! Alerts: the alerts the server keeps, newest first, filtered by state, with their
//! webhook delivery and an Ack button for each firing alert nobody acknowledged yet.

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use scorewatch_core::{Alert, AlertState, Severity};

use crate::action::Action;
use crate::format::format_time;
use crate::state::{AlertsState, can_ack, delivery_text};
use crate::tabs::{BAD, GOOD, NEUTRAL, WARN, empty_state};

/// The filter's choices, in display order.
const FILTERS: [(Option<AlertState>, &str); 3] = [
    (None, "All"),
    (Some(AlertState::Firing), "Firing"),
    (Some(AlertState::Resolved), "Resolved"),
];

/// Draws the Alerts tab. `error` is the list's last error; `acking` is set while an
/// acknowledgement is on its way (the buttons wait for it).
pub fn show(
    ui: &mut egui::Ui,
    alerts: &AlertsState,
    error: Option<&String>,
    has_key: bool,
    acking: bool,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.label("Show:");
        for (filter, title) in FILTERS {
            if ui
                .selectable_label(alerts.filter == filter, title)
                .clicked()
                && alerts.filter != filter
            {
                actions.push(Action::FilterAlerts(filter));
            }
        }
        if !has_key {
            ui.separator();
            ui.label("Acknowledging needs the API key.");
        }
    });
    if let Some(problem) = &alerts.ack_error {
        ui.colored_label(BAD, problem);
    }
    if let Some(error) = error {
        ui.colored_label(BAD, format!("Alerts: {error}"));
    }
    let Some(list) = &alerts.list else {
        if error.is_none() {
            ui.label("Loading the alerts...");
        }
        return;
    };
    if list.is_empty() {
        let title = match alerts.filter {
            None => "No alerts",
            Some(AlertState::Firing) => "No alert is firing",
            Some(AlertState::Resolved) => "No resolved alerts",
        };
        empty_state(
            ui,
            title,
            "The server raises an alert when a rule's condition holds: score or feature \
             drift, a performance drop, no traffic, storage degraded, a failed pipeline run \
             (see docs/monitoring-guide.md). They are evaluated after each drift report, \
             metrics computation, pipeline end and health change.",
        );
        return;
    }
    let firing = list
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count();
    ui.label(format!(
        "{} alert(s), {firing} firing. Newest first.",
        list.len()
    ));
    ui.add_space(4.0);
    table(ui, list, has_key && !acking, actions);
}

fn table(ui: &mut egui::Ui, list: &[Alert], ack_enabled: bool, actions: &mut Vec<Action>) {
    TableBuilder::new(ui)
        .id_salt("alerts_table")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(120.0))
        // The summary last: it takes the room left, and is clipped (whole on hover).
        .column(Column::remainder().at_least(200.0).clip(true))
        .header(24.0, |mut row| {
            for title in [
                "State",
                "Severity",
                "Rule",
                "Subject",
                "Since",
                "Resolved at",
                "Delivery",
                "Acknowledged",
                "Summary",
            ] {
                row.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for alert in list {
                body.row(22.0, |mut row| {
                    alert_row(&mut row, alert, ack_enabled, actions);
                });
            }
        });
}

fn alert_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    alert: &Alert,
    ack_enabled: bool,
    actions: &mut Vec<Action>,
) {
    row.col(|ui| {
        let color = match alert.state {
            AlertState::Firing => BAD,
            AlertState::Resolved => GOOD,
        };
        ui.label(RichText::new(alert.state.as_str()).color(color).strong());
    });
    row.col(|ui| {
        let color = match alert.severity {
            Severity::Critical => BAD,
            Severity::Warning => WARN,
        };
        ui.label(RichText::new(alert.severity.as_str()).color(color));
    });
    row.col(|ui| {
        ui.label(alert.rule.as_str());
    });
    row.col(|ui| {
        ui.label(&alert.subject);
    });
    row.col(|ui| {
        ui.label(format!("{} UTC", format_time(alert.since)));
    });
    row.col(|ui| {
        ui.label(
            alert
                .resolved_at
                .map_or_else(|| "—".to_owned(), |t| format!("{} UTC", format_time(t))),
        );
    });
    row.col(|ui| {
        let delivery = &alert.delivery;
        let color = if delivery.failed > 0 {
            BAD
        } else if delivery.pending > 0 {
            WARN
        } else {
            NEUTRAL
        };
        let label = ui.label(RichText::new(delivery_text(delivery)).color(color));
        if let Some(error) = &delivery.last_error {
            label.on_hover_text(format!("Last error: {error}"));
        }
    });
    row.col(|ui| {
        if let Some(at) = alert.acked_at {
            let by = alert
                .acked_by
                .as_deref()
                .map_or_else(String::new, |by| format!(" by {by}"));
            ui.label(format!("{} UTC{by}", format_time(at)));
        } else if can_ack(alert) {
            let button = ui.add_enabled(ack_enabled, egui::Button::new("Ack"));
            let button = button
                .on_hover_text("Acknowledge: no more re-notifications (until it gets worse)")
                .on_disabled_hover_text(
                    "Needs the API key (Settings, --api-key or the key file); one \
                     acknowledgement at a time",
                );
            if button.clicked() {
                actions.push(Action::AckAlert(alert.id.clone()));
            }
        } else {
            ui.label("—");
        }
    });
    row.col(|ui| {
        // Clipped when the window is narrow: the whole summary on hover, with the details
        // (the numbers behind it) as the API sent them.
        ui.label(&alert.summary).on_hover_text(format!(
            "{}\n{}",
            alert.summary,
            serde_json::to_string_pretty(&alert.details).unwrap_or_default()
        ));
    });
}
