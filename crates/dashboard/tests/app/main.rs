//! The whole app driven through its accessibility tree with a fake API: one binary, one
//! file per part of the app.

#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod api_key;
mod banners;
mod drift;
mod metrics;
mod overview;
mod pipeline;
mod predictions;
mod report;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::{ApiKey, DashboardApp, KeySource, Settings, StartupOptions, Tab};
use support::{Answers, FakeApi};

fn harness(answers: Answers, key: Option<&str>) -> (Harness<'static, DashboardApp>, FakeApi) {
    let fake = FakeApi::new(answers);
    let client = fake.clone();
    let options = StartupOptions {
        api_url: None,
        api_key: key.and_then(ApiKey::new),
        key_source: if key.is_some() {
            KeySource::Environment
        } else {
            KeySource::None
        },
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        // A click may send a request whose answer sends another (opening the Pipeline tab
        // lists the training sets while a running pipeline's status is polled): each
        // round trip through the fake takes a frame or two.
        .with_max_steps(8)
        .build_eframe(move |_cc| {
            DashboardApp::with_settings(Settings::default(), options, Box::new(client))
        });
    harness.run();
    (harness, fake)
}

fn open_tab(harness: &mut Harness<'static, DashboardApp>, tab: Tab) {
    harness
        .get_by_role_and_label(Role::Button, tab.title())
        .click();
    harness.run();
    assert_eq!(harness.state().settings.tab, tab);
}
