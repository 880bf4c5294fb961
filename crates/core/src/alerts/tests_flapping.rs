//! A condition that comes and goes at every evaluation (a value sitting at a
//! threshold, a PSI hovering at a band's edge) keeps one alert with one notification.

use std::num::NonZeroU32;

use time::Duration;

use super::tests::{T0, empty_book, report};
use super::*;
use crate::drift::DriftReport;
use crate::records::{AlertBook, AlertRule, AlertState, Severity};

fn evaluate(report: &DriftReport) -> Evaluation {
    evaluate_rules(
        &AlertRules::default(),
        &AlertInputs {
            drift: Some(report),
            ..super::tests::inputs()
        },
    )
}

/// Webhook `a`, no re-notification (so only starts, escalations and resolutions queue),
/// resolving after three clear evaluations.
fn policy(targets: &[String]) -> NotifyPolicy<'_> {
    NotifyPolicy {
        targets,
        renotify: None,
        resolve_after: NonZeroU32::new(3).unwrap(),
    }
}

fn minute(n: i64) -> time::OffsetDateTime {
    T0 + Duration::minutes(n)
}

fn of_rule(book: &AlertBook, rule: AlertRule) -> Vec<&crate::records::Alert> {
    book.alerts.iter().filter(|a| a.rule == rule).collect()
}

#[test]
fn the_default_is_three_clear_evaluations() {
    assert_eq!(
        AlertRules::default().resolve_after.get(),
        DEFAULT_RESOLVE_AFTER
    );
    assert_eq!(DEFAULT_RESOLVE_AFTER, 3);
    let rules = AlertRules::parse(std::path::Path::new("r.toml"), "resolve_after = 1\n").unwrap();
    assert_eq!(rules.resolve_after.get(), 1);
    let err = AlertRules::parse(std::path::Path::new("r.toml"), "resolve_after = 0\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("r.toml:1:") && err.contains("`resolve_after`"),
        "{err}"
    );
}

#[test]
fn a_drifted_share_hovering_at_the_threshold_fires_once_and_resolves_after_three_clears() {
    let targets = vec!["a".to_owned()];
    let mut book = empty_book();
    // Two of four features drifted is exactly the 0.5 threshold; one of four is under it.
    let at = report(0.01, "stable", 2);
    let under = report(0.01, "stable", 1);
    for n in 0..12 {
        let r = if n % 2 == 0 { &at } else { &under };
        apply_evaluation(&mut book, &evaluate(r), policy(&targets), minute(n));
    }
    let alerts = of_rule(&book, AlertRule::FeatureDrift);
    assert_eq!(alerts.len(), 1, "one alert through the hovering");
    assert_eq!(alerts[0].state, AlertState::Firing);
    assert_eq!(alerts[0].clear_streak, 1, "the last evaluation was clear");
    assert_eq!(book.outbox.len(), 1, "one notification: the start");

    // Two clear evaluations, then a finding: the count starts again.
    apply_evaluation(&mut book, &evaluate(&under), policy(&targets), minute(12));
    assert_eq!(of_rule(&book, AlertRule::FeatureDrift)[0].clear_streak, 2);
    apply_evaluation(&mut book, &evaluate(&at), policy(&targets), minute(13));
    assert_eq!(of_rule(&book, AlertRule::FeatureDrift)[0].clear_streak, 0);

    // Three clear evaluations in a row resolve it, with one resolved notification.
    for n in 14..16 {
        let changes = apply_evaluation(&mut book, &evaluate(&under), policy(&targets), minute(n));
        assert!(changes.is_empty(), "minute {n}: {changes:?}");
    }
    let changes = apply_evaluation(&mut book, &evaluate(&under), policy(&targets), minute(16));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Resolved);
    let alerts = of_rule(&book, AlertRule::FeatureDrift);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].state, AlertState::Resolved);
    assert_eq!(alerts[0].resolved_at, Some(minute(16)));
    let states: Vec<_> = book.outbox.iter().map(|n| n.state).collect();
    assert_eq!(states, [AlertState::Firing, AlertState::Resolved]);
}

#[test]
fn a_score_psi_hovering_at_the_significant_edge_escalates_once_and_keeps_critical() {
    let targets = vec!["a".to_owned()];
    let mut book = empty_book();
    let moderate = report(0.24, "moderate", 0);
    let significant = report(0.26, "significant", 0);
    apply_evaluation(&mut book, &evaluate(&moderate), policy(&targets), minute(0));
    let id = book.alerts[0].id.clone();
    acknowledge(&mut book, &id, Some("key-1".into()), minute(0)).unwrap();

    let first = apply_evaluation(
        &mut book,
        &evaluate(&significant),
        policy(&targets),
        minute(1),
    );
    assert_eq!(first[0].kind, ChangeKind::Escalated);
    assert_eq!(book.alerts[0].acked_at, None, "escalation clears the ack");
    acknowledge(&mut book, &id, Some("key-1".into()), minute(1)).unwrap();

    for n in 2..20 {
        let r = if n % 2 == 0 { &moderate } else { &significant };
        let changes = apply_evaluation(&mut book, &evaluate(r), policy(&targets), minute(n));
        assert!(changes.is_empty(), "minute {n}: {changes:?}");
        let alert = &book.alerts[0];
        assert_eq!(alert.severity, Severity::Critical, "minute {n}");
        assert!(alert.acked_at.is_some(), "minute {n}: the ack stays");
    }
    assert_eq!(book.alerts.len(), 1);
    // The milder finding still updates what the alert says.
    assert_eq!(book.alerts[0].details["psi"], 0.26);
    apply_evaluation(
        &mut book,
        &evaluate(&moderate),
        policy(&targets),
        minute(20),
    );
    assert_eq!(book.alerts[0].details["psi"], 0.24);
    assert_eq!(book.alerts[0].severity, Severity::Critical);
    // Started and escalated: two notifications.
    let severities: Vec<_> = book.outbox.iter().map(|n| n.severity).collect();
    assert_eq!(severities, [Severity::Warning, Severity::Critical]);
}

#[test]
fn a_book_written_before_the_clear_streak_existed_loads_and_counts_from_zero() {
    let old = serde_json::json!({
        "schema_version": 1,
        "alerts": [{
            "id": "0193a000-0000-7000-8000-000000000000", "rule": "storage_degraded",
            "subject": "storage", "state": "firing", "severity": "critical",
            "since": "2026-12-01T12:00:00Z", "summary": "Storage degraded",
            "details": {}, "delivery": {"pending": 0, "delivered": 1, "failed": 0}
        }],
        "outbox": []
    });
    let mut book: AlertBook = serde_json::from_value(old).expect("an old book loads");
    assert_eq!(book.alerts[0].clear_streak, 0);
    let clear = evaluate_rules(
        &AlertRules::default(),
        &AlertInputs {
            storage: Some(&StorageCondition::Ok),
            ..super::tests::inputs()
        },
    );
    for n in 1..=3 {
        apply_evaluation(&mut book, &clear, policy(&[]), minute(n));
    }
    assert_eq!(book.alerts[0].state, AlertState::Resolved);
    assert_eq!(book.alerts[0].resolved_at, Some(minute(3)));
}
