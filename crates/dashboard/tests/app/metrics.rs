//! Metrics history tab.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use scorewatch_dashboard::Tab;

use crate::support::Answers;
use crate::{harness, open_tab};

#[test]
fn metrics_tab_plots_the_chosen_metrics() {
    let (mut harness, _) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Metrics);
    harness.get_by_label_contains("5 of 5 entries");
    let auc = harness.get_by_role_and_label(Role::CheckBox, "roc_auc");
    assert_eq!(
        auc.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    harness
        .get_by_role_and_label(Role::CheckBox, "precision")
        .click();
    harness.run();
    assert!(
        harness
            .state()
            .settings
            .shown_metrics
            .contains(&"precision".to_owned())
    );
}

#[test]
fn metrics_tab_has_a_legend_entry_per_source() {
    let answers = Answers {
        metrics: crate::support::fixtures::metrics_with_estimate(),
        ..Answers::full()
    };
    let (mut harness, _) = harness(answers, None);
    open_tab(&mut harness, Tab::Metrics);
    harness.get_by_label_contains("10 of 10 entries");
    for source in ["training", "validation", "production", "estimated"] {
        harness.get_by_role_and_label(Role::CheckBox, &format!("roc_auc ({source})"));
    }
    // Manual entries of accuracy appear once accuracy is shown.
    harness
        .get_by_role_and_label(Role::CheckBox, "accuracy")
        .click();
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, "accuracy (manual)");
    harness.get_by_role_and_label(Role::CheckBox, "accuracy (estimated)");
}

#[test]
fn the_estimate_band_has_its_own_legend_entry() {
    let answers = Answers {
        metrics: crate::support::fixtures::metrics_with_estimate(),
        ..Answers::full()
    };
    let (mut harness, _) = harness(answers, None);
    open_tab(&mut harness, Tab::Metrics);
    harness.get_by_role_and_label(Role::CheckBox, "roc_auc (estimated) band");
}
