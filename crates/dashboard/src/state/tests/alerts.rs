//! The alerts' state: the tab's list per filter, the banner's firing alerts, an ack and
//! its refusals.

use std::sync::Arc;

use scorewatch_core::views::AlertsView;
use scorewatch_core::{AlertState, DeliveryStatus};

use super::{NOW, failed, fixtures, ok, status_error};
use crate::client::{ApiError, Payload, Request, RequestKind};
use crate::state::{
    Connection, FollowUp, ViewState, apply_response, choose_alert_filter, critical_alerts_banner,
    delivery_text,
};

fn listed(filter: Option<AlertState>) -> crate::client::Response {
    let alerts = fixtures::alerts()
        .into_iter()
        .filter(|a| filter.is_none_or(|s| a.state == s))
        .collect();
    ok(
        Request::Alerts(filter),
        Payload::Alerts(AlertsView { alerts }),
    )
}

#[test]
fn a_list_for_a_filter_the_user_has_left_is_dropped() {
    let mut state = ViewState::default();
    choose_alert_filter(&mut state.alerts, Some(AlertState::Resolved));
    apply_response(&mut state, listed(None), NOW);
    assert_eq!(state.alerts.list, None);
    apply_response(&mut state, listed(Some(AlertState::Resolved)), NOW);
    assert_eq!(state.alerts.list.as_ref().map(Vec::len), Some(1));
    // Another filter: the old list goes at once rather than showing under the new one.
    choose_alert_filter(&mut state.alerts, Some(AlertState::Firing));
    assert_eq!(state.alerts.list, None);
}

#[test]
fn the_banner_counts_critical_firing_alerts_and_hides_while_unreachable() {
    let mut state = ViewState::default();
    assert_eq!(critical_alerts_banner(&state), None);
    let firing = fixtures::alerts()
        .into_iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    apply_response(
        &mut state,
        ok(
            Request::FiringAlerts,
            Payload::Alerts(AlertsView { alerts: firing }),
        ),
        NOW,
    );
    // The warning does not count; the resolved critical one is not in the firing list.
    assert_eq!(
        critical_alerts_banner(&state).as_deref(),
        Some("1 critical alert firing: Score drift: PSI 0.29 (significant). Open the Alerts tab.")
    );
    apply_response(
        &mut state,
        failed(
            Request::Health,
            ApiError::Unreachable {
                url: "http://127.0.0.1:8000/health".into(),
                source: Arc::new(std::io::Error::other("refused")),
            },
        ),
        NOW,
    );
    assert!(matches!(state.connection, Connection::Unreachable { .. }));
    assert_eq!(critical_alerts_banner(&state), None);
}

#[test]
fn an_ack_updates_both_lists_and_asks_for_a_re_read() {
    let mut state = ViewState::default();
    apply_response(&mut state, listed(None), NOW);
    state.alerts.firing = state.alerts.list.clone();
    let mut acked = fixtures::alerts()[0].clone();
    acked.acked_at = Some(fixtures::ACKED_AT);
    let follow_up = apply_response(
        &mut state,
        ok(
            Request::AckAlert(acked.id.clone()),
            Payload::AlertAcked(Box::new(acked.clone())),
        ),
        NOW,
    );
    assert_eq!(follow_up, FollowUp::Alerts);
    for list in [&state.alerts.list, &state.alerts.firing] {
        assert_eq!(list.as_ref().unwrap()[0], acked);
    }
}

#[test]
fn a_refused_ack_says_what_to_do_about_the_key() {
    let mut state = ViewState::default();
    let follow_up = apply_response(
        &mut state,
        failed(
            Request::AckAlert("a-1".into()),
            status_error(
                "/monitoring/alerts/{id}/ack",
                401,
                "missing X-API-Key header",
            ),
        ),
        NOW,
    );
    assert_eq!(follow_up, FollowUp::Alerts);
    assert_eq!(
        state.alerts.ack_error.as_deref(),
        Some(
            "Not acknowledged: /monitoring/alerts/{id}/ack answered 401: missing X-API-Key \
             header. The server wants the API key and the dashboard has none: set it in \
             Settings."
        )
    );
    assert!(state.auth_refused.contains_key(&RequestKind::AckAlert));

    apply_response(
        &mut state,
        failed(
            Request::AckAlert("a-2".into()),
            status_error("/monitoring/alerts/{id}/ack", 404, "no alert has id a-2"),
        ),
        NOW,
    );
    assert!(
        state
            .alerts
            .ack_error
            .as_deref()
            .unwrap()
            .ends_with("no alert has id a-2. The alert is no longer kept on the server.")
    );
}

#[test]
fn delivery_is_summed_up_in_one_line() {
    assert_eq!(delivery_text(&DeliveryStatus::default()), "no notification");
    let delivery = DeliveryStatus {
        pending: 2,
        delivered: 1,
        failed: 3,
        ..DeliveryStatus::default()
    };
    assert_eq!(delivery_text(&delivery), "1 delivered, 2 pending, 3 failed");
}

#[test]
fn the_tabs_list_of_all_alerts_also_updates_the_banner() {
    let mut state = ViewState::default();
    apply_response(
        &mut state,
        ok(
            Request::FiringAlerts,
            Payload::Alerts(AlertsView { alerts: Vec::new() }),
        ),
        NOW,
    );
    assert_eq!(critical_alerts_banner(&state), None);
    // Read a moment later: the critical alert fires now.
    apply_response(&mut state, listed(None), NOW);
    assert!(critical_alerts_banner(&state).is_some());
    assert_eq!(state.alerts.firing.as_ref().map(Vec::len), Some(2));
    // The resolved list says nothing about what fires.
    apply_response(&mut state, listed(Some(AlertState::Resolved)), NOW);
    assert_eq!(state.alerts.firing.as_ref().map(Vec::len), Some(2));
}
