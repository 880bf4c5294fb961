//! Rules, lifecycle and outbox, each rule with data that trips it and data that does
//! not.

use std::path::Path;
use std::time::Duration as StdDuration;

use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};

use super::*;
use crate::drift::DriftReport;
use crate::records::{AlertBook, AlertRule, AlertState, MetricsEntry, PipelineStatus, Severity};

pub(super) const T0: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

pub(super) fn inputs() -> AlertInputs<'static> {
    AlertInputs {
        now: T0,
        drift: None,
        production: None,
        validation: None,
        estimated: None,
        quality: None,
        pipeline: None,
        storage: None,
        traffic: None,
    }
}

fn feature(name: &str, psi: f64, band: &str, drifted: bool) -> serde_json::Value {
    json!({
        "name": name, "kind": "numeric", "n_reference": 1000, "n_current": 1000,
        "missing_reference": 0.0, "missing_current": 0.0, "psi": psi, "psi_band": band,
        "bins": [], "drifted": drifted, "reason": "test"
    })
}

/// A stored report (its verdict is derived on load) with the score's PSI and band and
/// `drifted` of four features.
pub(super) fn report(score_psi: f64, score_band: &str, drifted: usize) -> DriftReport {
    let features: Vec<_> = (0..4)
        .map(|i| feature(&format!("f{i}"), 0.01, "stable", i < drifted))
        .collect();
    let share = drifted as f64 / 4.0;
    serde_json::from_value(json!({
        "id": "r1", "computed_at": "2026-12-01T12:00:00Z",
        "reference": {"description": "training", "rows": 1000},
        "current": {"description": "newest", "model_version": "v1", "rows": 1000},
        "rule": {"rule": "psi_band", "min_band": "moderate"},
        "dataset_drift_threshold": 0.5,
        "features": features,
        "score": feature("score", score_psi, score_band, score_band != "stable"),
        "drifted_share": share,
        "dataset_drift": share >= 0.5,
    }))
    .unwrap()
}

pub(super) fn metrics(source: &str, auc: f64, rows: u64) -> MetricsEntry {
    serde_json::from_value(json!({
        "timestamp": "2026-12-01T11:00:00Z", "source": source, "model_version": "v1",
        "metrics": {"roc_auc": auc}, "rows": rows
    }))
    .unwrap()
}

fn pipeline(outcome: &str) -> PipelineStatus {
    serde_json::from_value(json!({
        "schema_version": 1, "state": "idle",
        "runs": [{"run_id": "run-1", "started_at": "2026-12-01T11:00:00Z",
            "finished_at": "2026-12-01T11:01:00Z", "outcome": outcome,
            "error": if outcome == "failed" { json!("training file is empty") } else { json!(null) },
            "stage_seconds": [], "data": []}]
    }))
    .unwrap()
}

pub(super) fn only(evaluation: &Evaluation, rule: AlertRule) -> Option<&Finding> {
    assert!(evaluation.judged.contains(&rule), "{rule} not judged");
    evaluation.findings.iter().find(|f| f.rule == rule)
}

pub(super) fn empty_book() -> AlertBook {
    AlertBook {
        schema_version: 1,
        alerts: Vec::new(),
        outbox: Vec::new(),
    }
}

// ---- the rules file ----

#[test]
fn the_documented_example_file_is_exactly_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/alert-rules.toml");
    let rules = AlertRules::load(&path).expect("docs/alert-rules.toml loads");
    assert_eq!(rules, AlertRules::default());
    // Every rule of the code is in the example, so the example cannot fall behind.
    let text = std::fs::read_to_string(&path).unwrap();
    for rule in AlertRule::ALL {
        assert!(text.contains(&format!("[{rule}]")), "[{rule}] missing");
    }
    let operations =
        std::fs::read_to_string(path.with_file_name("operations.md")).expect("operations.md");
    assert!(
        operations.contains(&format!("```toml\n{text}```")),
        "docs/operations.md must show docs/alert-rules.toml as it is"
    );
}

#[test]
fn a_file_overrides_only_the_keys_it_sets() {
    let text =
        "renotify_minutes = 0\n[performance_drop]\nmin_rows = 50\n\n[no_traffic]\nenabled = true\n";
    let rules = AlertRules::parse(Path::new("r.toml"), text).unwrap();
    assert_eq!(rules.renotify_minutes, 0);
    assert_eq!(rules.performance_drop.min_rows, 50);
    assert_eq!(rules.performance_drop.severity, Severity::Critical);
    assert!((rules.performance_drop.max_drop.get() - DEFAULT_MAX_AUC_DROP).abs() < 1e-12);
    assert!(rules.no_traffic.enabled);
    assert_eq!(rules.no_traffic.minutes.get(), DEFAULT_NO_TRAFFIC_MINUTES);
    assert_eq!(rules.storage_degraded, StorageDegradedRule::default());
}

#[track_caller]
fn refused(text: &str, line: usize, key: &str, says: &str) {
    let err = AlertRules::parse(Path::new("rules.toml"), text).unwrap_err();
    let message = err.to_string();
    match &err {
        AlertRulesError::Invalid {
            line: l, key: k, ..
        } => {
            assert_eq!((*l, k.as_str()), (line, key), "{message}");
        }
        AlertRulesError::Read { .. } => panic!("{message}"),
    }
    assert!(
        message.starts_with(&format!("alert rules file rules.toml:{line}:")),
        "{message}"
    );
    assert!(message.contains(says), "{message}");
}

#[test]
fn a_bad_file_is_refused_naming_line_and_key() {
    refused(
        "[performance_drop]\nmin_rows = 10\nmax_dorp = 0.1\n",
        3,
        "performance_drop.max_dorp",
        "unknown field `max_dorp`",
    );
    refused("renotify = 5\n", 1, "renotify", "unknown field `renotify`");
    refused(
        "[score_drfit]\nenabled = true\n",
        1,
        "score_drfit",
        "unknown field",
    );
    refused(
        "\n[feature_drift]\nthreshold = 1.5\n",
        3,
        "feature_drift.threshold",
        "1.5 is not a share in [0, 1]",
    );
    refused(
        "[no_traffic]\nenabled = true\nminutes = 0\n",
        3,
        "no_traffic.minutes",
        "nonzero",
    );
    refused(
        "[storage_degraded]\nseverity = \"loud\"\n",
        2,
        "storage_degraded.severity",
        "unknown variant `loud`",
    );
    refused(
        "[pipeline_failed]\nenabled = \"yes\"\n",
        2,
        "pipeline_failed.enabled",
        "invalid type",
    );
    refused("renotify_minutes = \n", 1, "renotify_minutes", "");
}

#[test]
fn a_missing_file_is_refused_naming_it() {
    let err = AlertRules::load(Path::new("/nonexistent/rules.toml")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/rules.toml"), "{err}");
}

// ---- each rule, tripped and not ----

#[test]
fn score_drift_is_critical_when_significant_warning_when_moderate_quiet_when_stable() {
    let rules = AlertRules::default();
    let significant = report(0.29, "significant", 0);
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                drift: Some(&significant),
                ..inputs()
            },
        ),
        AlertRule::ScoreDrift,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.severity, Severity::Critical);
    assert_eq!(found.subject, "score");
    assert_eq!(found.summary, "Score drift: PSI 0.29 (significant)");
    assert_eq!(found.details["psi"], json!(0.29));

    let moderate = report(0.15, "moderate", 0);
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                drift: Some(&moderate),
                ..inputs()
            },
        ),
        AlertRule::ScoreDrift,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.severity, Severity::Warning);

    let stable = report(0.02, "stable", 0);
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    drift: Some(&stable),
                    ..inputs()
                }
            ),
            AlertRule::ScoreDrift
        )
        .is_none()
    );

    let mut quiet_on_moderate = AlertRules::default();
    quiet_on_moderate.score_drift.alert_on_moderate = false;
    assert!(
        only(
            &evaluate_rules(
                &quiet_on_moderate,
                &AlertInputs {
                    drift: Some(&moderate),
                    ..inputs()
                }
            ),
            AlertRule::ScoreDrift
        )
        .is_none()
    );
}

#[test]
fn feature_drift_fires_when_the_share_reaches_the_threshold() {
    let rules = AlertRules::default();
    let half = report(0.02, "stable", 2);
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                drift: Some(&half),
                ..inputs()
            },
        ),
        AlertRule::FeatureDrift,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.details["drifted_features"], json!(["f0", "f1"]));
    assert_eq!(
        found.summary,
        "Feature drift: 50% of features drifted (threshold 50%)"
    );

    let quarter = report(0.02, "stable", 1);
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    drift: Some(&quarter),
                    ..inputs()
                }
            ),
            AlertRule::FeatureDrift
        )
        .is_none()
    );

    let mut lower = AlertRules::default();
    lower.feature_drift.threshold = Some(Share::try_from(0.25).unwrap());
    assert!(
        only(
            &evaluate_rules(
                &lower,
                &AlertInputs {
                    drift: Some(&quarter),
                    ..inputs()
                }
            ),
            AlertRule::FeatureDrift
        )
        .is_some()
    );
}

#[test]
fn performance_drop_fires_beyond_the_drop_over_enough_rows() {
    let rules = AlertRules::default();
    let validation = metrics("validation", 0.80, 400);
    let judge = |production: &MetricsEntry| {
        evaluate_rules(
            &rules,
            &AlertInputs {
                production: Some(production),
                validation: Some(&validation),
                ..inputs()
            },
        )
    };
    let fallen = metrics("production", 0.74, 200);
    let found = only(&judge(&fallen), AlertRule::PerformanceDrop)
        .cloned()
        .unwrap();
    assert_eq!(
        (found.severity, found.subject.as_str()),
        (Severity::Critical, "v1")
    );
    assert!((found.details["drop"].as_f64().unwrap() - 0.06).abs() < 1e-9);

    let close = metrics("production", 0.76, 5000);
    assert!(only(&judge(&close), AlertRule::PerformanceDrop).is_none());

    // Too few labelled rows: not judged at all, so a firing alert stays as it is.
    let few = metrics("production", 0.50, 199);
    assert!(!judge(&few).judged.contains(&AlertRule::PerformanceDrop));
}

#[test]
fn pipeline_failed_fires_on_a_failed_run_and_clears_on_a_finished_one() {
    let rules = AlertRules::default();
    let failed = pipeline("failed");
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                pipeline: Some(&failed),
                ..inputs()
            },
        ),
        AlertRule::PipelineFailed,
    )
    .cloned()
    .unwrap();
    assert_eq!(
        found.summary,
        "Pipeline run run-1 failed: training file is empty"
    );
    let promoted = pipeline("promoted");
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    pipeline: Some(&promoted),
                    ..inputs()
                }
            ),
            AlertRule::PipelineFailed
        )
        .is_none()
    );
    let cancelled = pipeline("cancelled");
    assert!(
        !evaluate_rules(
            &rules,
            &AlertInputs {
                pipeline: Some(&cancelled),
                ..inputs()
            }
        )
        .judged
        .contains(&AlertRule::PipelineFailed)
    );
}

#[test]
fn storage_degraded_fires_while_writes_are_refused() {
    let rules = AlertRules::default();
    let degraded = StorageCondition::Degraded("no space left on device".into());
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                storage: Some(&degraded),
                ..inputs()
            },
        ),
        AlertRule::StorageDegraded,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.severity, Severity::Critical);
    assert_eq!(found.details["message"], json!("no space left on device"));
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    storage: Some(&StorageCondition::Ok),
                    ..inputs()
                }
            ),
            AlertRule::StorageDegraded
        )
        .is_none()
    );
}

#[test]
fn no_traffic_is_off_by_default_and_fires_after_the_quiet_minutes() {
    let quiet = Traffic {
        last_prediction_at: Some(T0 - Duration::minutes(61)),
        serving_since: T0 - Duration::hours(5),
    };
    let off = evaluate_rules(
        &AlertRules::default(),
        &AlertInputs {
            traffic: Some(quiet),
            ..inputs()
        },
    );
    assert!(!off.judged.contains(&AlertRule::NoTraffic));

    let mut rules = AlertRules::default();
    rules.no_traffic.enabled = true;
    let found = only(
        &evaluate_rules(
            &rules,
            &AlertInputs {
                traffic: Some(quiet),
                ..inputs()
            },
        ),
        AlertRule::NoTraffic,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.summary, "No traffic: no prediction for 61 minutes");
    let busy = Traffic {
        last_prediction_at: Some(T0 - Duration::minutes(59)),
        ..quiet
    };
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    traffic: Some(busy),
                    ..inputs()
                }
            ),
            AlertRule::NoTraffic
        )
        .is_none()
    );
    // Never a prediction: the quiet spell counts from the start of the server.
    let fresh = Traffic {
        last_prediction_at: None,
        serving_since: T0 - Duration::minutes(10),
    };
    assert!(
        only(
            &evaluate_rules(
                &rules,
                &AlertInputs {
                    traffic: Some(fresh),
                    ..inputs()
                }
            ),
            AlertRule::NoTraffic
        )
        .is_none()
    );
}

#[test]
fn a_disabled_rule_is_not_judged() {
    let mut rules = AlertRules::default();
    rules.score_drift.enabled = false;
    let significant = report(0.29, "significant", 0);
    let evaluation = evaluate_rules(
        &rules,
        &AlertInputs {
            drift: Some(&significant),
            ..inputs()
        },
    );
    assert!(!evaluation.judged.contains(&AlertRule::ScoreDrift));
    assert!(evaluation.judged.contains(&AlertRule::FeatureDrift));
}

// ---- lifecycle ----

#[test]
fn transitions_allow_exactly_the_lifecycle() {
    use AlertEvent::{Ack, Clear, Fire};
    use AlertState::{Firing, Resolved};
    let table = [
        (Firing, Fire, Some(Firing)),
        (Firing, Ack, Some(Firing)),
        (Firing, Clear, Some(Resolved)),
        (Resolved, Fire, None),
        (Resolved, Ack, None),
        (Resolved, Clear, None),
    ];
    for (state, event, expected) in table {
        assert_eq!(
            transition(state, event).ok(),
            expected,
            "{state:?} + {event:?}"
        );
    }
}

fn storage_eval(degraded: bool) -> Evaluation {
    let condition = if degraded {
        StorageCondition::Degraded("disk full".into())
    } else {
        StorageCondition::Ok
    };
    evaluate_rules(
        &AlertRules::default(),
        &AlertInputs {
            storage: Some(&condition),
            ..inputs()
        },
    )
}

fn policy(targets: &[String]) -> NotifyPolicy<'_> {
    NotifyPolicy {
        targets,
        renotify: Some(Duration::hours(4)),
        // Today's one-clear resolution; `tests_flapping` covers longer streaks.
        resolve_after: std::num::NonZeroU32::MIN,
    }
}

#[test]
fn an_alert_is_deduplicated_renotified_acked_and_resolved_with_one_notification_each() {
    let targets = vec!["a".to_owned(), "b".to_owned()];
    let mut book = empty_book();
    let changes = apply_evaluation(&mut book, &storage_eval(true), policy(&targets), T0);
    assert_eq!(changes[0].kind, ChangeKind::Started);
    assert_eq!((book.alerts.len(), book.outbox.len()), (1, 2));
    assert_eq!(book.alerts[0].delivery.pending, 2);

    // Same rule and subject an hour later: the same alert, nothing queued.
    let changes = apply_evaluation(
        &mut book,
        &storage_eval(true),
        policy(&targets),
        T0 + Duration::hours(1),
    );
    assert!(changes.is_empty());
    assert_eq!((book.alerts.len(), book.outbox.len()), (1, 2));

    // After the re-notify interval: queued again.
    let changes = apply_evaluation(
        &mut book,
        &storage_eval(true),
        policy(&targets),
        T0 + Duration::hours(4),
    );
    assert_eq!(changes[0].kind, ChangeKind::Renotified);
    assert_eq!(book.outbox.len(), 4);

    // Acknowledged: no more re-notifications.
    let id = book.alerts[0].id.clone();
    let acked = acknowledge(
        &mut book,
        &id,
        Some("key-1".into()),
        T0 + Duration::hours(5),
    )
    .unwrap();
    assert_eq!(acked.acked_by.as_deref(), Some("key-1"));
    let changes = apply_evaluation(
        &mut book,
        &storage_eval(true),
        policy(&targets),
        T0 + Duration::hours(9),
    );
    assert!(changes.is_empty());

    // Cleared: resolved, one resolved notification per webhook.
    let changes = apply_evaluation(
        &mut book,
        &storage_eval(false),
        policy(&targets),
        T0 + Duration::hours(10),
    );
    assert_eq!(changes[0].kind, ChangeKind::Resolved);
    assert_eq!(book.alerts[0].state, AlertState::Resolved);
    assert_eq!(book.alerts[0].resolved_at, Some(T0 + Duration::hours(10)));
    assert_eq!(
        book.outbox
            .iter()
            .filter(|n| n.state == AlertState::Resolved)
            .count(),
        2
    );
    assert!(matches!(
        acknowledge(&mut book, &id, None, T0 + Duration::hours(11)),
        Err(AckError::Transition(_))
    ));
    assert_eq!(
        acknowledge(&mut book, "nope", None, T0),
        Err(AckError::NotFound("nope".into()))
    );

    // The condition comes back: a new alert, the resolved one stays resolved.
    apply_evaluation(
        &mut book,
        &storage_eval(true),
        policy(&targets),
        T0 + Duration::hours(12),
    );
    assert_eq!(book.alerts.len(), 2);
    assert_ne!(book.alerts[1].id, id);
}

#[test]
fn escalation_notifies_again_even_when_acknowledged() {
    let targets = vec!["a".to_owned()];
    let mut book = empty_book();
    let moderate = report(0.15, "moderate", 0);
    let significant = report(0.3, "significant", 0);
    let eval = |r: &DriftReport| {
        evaluate_rules(
            &AlertRules::default(),
            &AlertInputs {
                drift: Some(r),
                ..inputs()
            },
        )
    };
    apply_evaluation(&mut book, &eval(&moderate), policy(&targets), T0);
    let id = book.alerts[0].id.clone();
    acknowledge(&mut book, &id, None, T0).unwrap();
    let changes = apply_evaluation(
        &mut book,
        &eval(&significant),
        policy(&targets),
        T0 + Duration::minutes(1),
    );
    assert_eq!(changes[0].kind, ChangeKind::Escalated);
    assert_eq!(book.alerts[0].severity, Severity::Critical);
    assert_eq!(book.alerts[0].acked_at, None);
    assert_eq!(book.outbox.len(), 2);
}

#[test]
fn an_unjudged_rule_leaves_its_alert_firing() {
    let mut book = empty_book();
    apply_evaluation(&mut book, &storage_eval(true), policy(&[]), T0);
    apply_evaluation(
        &mut book,
        &Evaluation::default(),
        policy(&[]),
        T0 + Duration::hours(1),
    );
    assert_eq!(book.alerts[0].state, AlertState::Firing);
    assert!(book.outbox.is_empty(), "no webhook, nothing queued");
}

// ---- outbox ----

#[test]
fn backoff_doubles_from_one_second_and_stops_at_thirty() {
    let policy = RetryPolicy::default();
    let waits: Vec<u64> = (1..=8).map(|n| policy.backoff(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    assert_eq!(policy.backoff(u32::MAX), StdDuration::from_secs(30));
}

#[test]
fn a_resolved_notification_waits_for_its_firing_one() {
    let targets = vec!["a".to_owned(), "b".to_owned()];
    let mut book = empty_book();
    apply_evaluation(&mut book, &storage_eval(true), policy(&targets), T0);
    apply_evaluation(&mut book, &storage_eval(false), policy(&targets), T0);
    let due = due_notifications(&book, T0);
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|n| n.state == AlertState::Firing));

    // Webhook a refuses, b accepts: b's resolved one is next, a's waits its backoff.
    let (to_a, to_b) = (&due[0], &due[1]);
    assert!(!record_failed(
        &mut book,
        &to_a.id,
        "HTTP 500",
        &RetryPolicy::default(),
        T0
    ));
    record_delivered(&mut book, &to_b.id, T0);
    let due = due_notifications(&book, T0);
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].target.as_str(), due[0].state),
        ("b", AlertState::Resolved)
    );
    assert_eq!(next_due_at(&book), Some(T0));
    record_delivered(&mut book, &due[0].id, T0);
    assert_eq!(next_due_at(&book), Some(T0 + Duration::seconds(1)));
    let due = due_notifications(&book, T0 + Duration::seconds(1));
    assert_eq!(
        (due[0].target.as_str(), due[0].state, due[0].attempts),
        ("a", AlertState::Firing, 1)
    );
    let delivery = &book.alerts[0].delivery;
    assert_eq!(
        (delivery.pending, delivery.delivered, delivery.failed),
        (2, 2, 0)
    );
    assert_eq!(delivery.last_error.as_deref(), Some("HTTP 500"));
}

#[test]
fn a_notification_refused_for_24_hours_is_given_up_and_the_next_one_goes() {
    let targets = vec!["a".to_owned()];
    let mut book = empty_book();
    apply_evaluation(&mut book, &storage_eval(true), policy(&targets), T0);
    apply_evaluation(
        &mut book,
        &storage_eval(false),
        policy(&targets),
        T0 + Duration::hours(1),
    );
    let first = book.outbox[0].id.clone();
    let retry = RetryPolicy::default();
    assert!(!record_failed(
        &mut book,
        &first,
        "refused",
        &retry,
        T0 + Duration::hours(23)
    ));
    assert!(record_failed(
        &mut book,
        &first,
        "refused",
        &retry,
        T0 + Duration::hours(24)
    ));
    let delivery = &book.alerts[0].delivery;
    assert_eq!((delivery.pending, delivery.failed), (1, 1));
    let due = due_notifications(&book, T0 + Duration::hours(24));
    assert_eq!(due[0].state, AlertState::Resolved);
}

#[test]
fn notifications_for_a_webhook_no_longer_configured_are_given_up() {
    let targets = vec!["a".to_owned(), "b".to_owned()];
    let mut book = empty_book();
    apply_evaluation(&mut book, &storage_eval(true), policy(&targets), T0);
    assert_eq!(drop_unknown_targets(&mut book, &["b".to_owned()]), 1);
    assert_eq!(book.outbox.len(), 1);
    assert_eq!(book.alerts[0].delivery.failed, 1);
}

#[test]
fn the_webhook_body_carries_the_fields_and_a_slack_text() {
    let targets = vec![webhook_id("https://hooks.example/T0/secret")];
    assert_eq!(targets[0].len(), 16);
    assert!(!targets[0].contains("secret"));
    let mut book = empty_book();
    apply_evaluation(&mut book, &storage_eval(true), policy(&targets), T0);
    let body = serde_json::to_value(WebhookBody::of(&book.outbox[0])).unwrap();
    assert_eq!(body["rule"], "storage_degraded");
    assert_eq!(body["state"], "firing");
    assert_eq!(body["severity"], "critical");
    assert_eq!(body["started_at"], "2026-12-01T12:00:00Z");
    assert_eq!(body["details"]["message"], "disk full");
    assert_eq!(
        body["text"],
        "[CRITICAL] Storage degraded: the data directory refuses writes (firing since 2026-12-01T12:00:00Z)"
    );
    assert!(body.get("resolved_at").is_none());
}

// ---- persistence ----

#[test]
fn the_book_survives_a_reopen_and_an_unchanged_update_writes_nothing() {
    use crate::store::{Store, StoreOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let path = store.layout().alerts();
        assert!(!path.exists(), "created by the first write only");
        assert!(!store.alerts().update(&mut |_| {}).unwrap());
        assert!(!path.exists());
        let targets = vec!["a".to_owned()];
        let wrote = store
            .alerts()
            .update(&mut |book| {
                apply_evaluation(book, &storage_eval(true), policy(&targets), T0);
            })
            .unwrap();
        assert!(wrote);
        path
    };
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let book = store.alerts().load().unwrap();
    assert_eq!((book.alerts.len(), book.outbox.len()), (1, 1));
    assert_eq!(book.outbox[0].alert_id, book.alerts[0].id);
    drop(store);

    std::fs::write(&path, b"{\"schema_version\": 1, \"alerts\": [}").unwrap();
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(
        crate::error_chain(&err).contains("alerts.json"),
        "{}",
        crate::error_chain(&err)
    );
}

#[test]
fn old_resolved_alerts_beyond_the_retention_are_dropped() {
    use crate::store::{Store, StoreOptions};
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        alerts_retention: 2,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    for hour in 0..4 {
        let at = T0 + Duration::hours(hour * 2);
        store
            .alerts()
            .update(&mut |book| {
                apply_evaluation(book, &storage_eval(true), policy(&[]), at);
                apply_evaluation(
                    book,
                    &storage_eval(false),
                    policy(&[]),
                    at + Duration::hours(1),
                );
            })
            .unwrap();
    }
    let book = store.alerts().load().unwrap();
    let since: Vec<_> = book.alerts.iter().map(|a| a.since).collect();
    assert_eq!(since, [T0 + Duration::hours(4), T0 + Duration::hours(6)]);
}
