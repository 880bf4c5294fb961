//! The HTML report gathered from a real store: the window it reads, the numbers it
//! computes (the same functions as the API's JSON), what it says for an empty window or
//! an unknown version, and that store strings stay text.
// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use scorewatch_core::{
    Alert, AlertRule, AlertState, DeliveryStatus, MetricSource, OutcomeRecord, PipelineRunner,
    PredictionRecord, ReportError, ReportRequest, Rng, RunRequest, Scenario, SegmentError,
    SegmentOptions, SegmentStatus, Severity, Store, StoreOptions, TrainingReference,
    TrainingSetName, classification_metrics, drift_report_of_newest, drift_segments_of_newest,
    gather_report, metrics_segments_of_newest, render_html, write_sample_csv,
};
use time::{Duration, OffsetDateTime};

/// A store with a trained model and `rows` predictions of it, one a minute ending now,
/// every other one with an outcome. The predictions' features are generated rows of
/// `scenario`; the first categorical value of the newest row is `hostile` when given.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    version: String,
    start: OffsetDateTime,
}

fn fixture(rows: usize, scenario: Scenario, hostile: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), StoreOptions::default()).unwrap());
    let mut training = Vec::new();
    write_sample_csv(&mut training, 2_000, 1, Scenario::Baseline).unwrap();
    store
        .training_sets()
        .write(
            &TrainingSetName::parse("applications.csv").unwrap(),
            &training,
        )
        .unwrap();
    let runner = PipelineRunner::new(Arc::clone(&store)).unwrap();
    let report = runner.run(&RunRequest::default(), &|_, _| {}).unwrap();
    let version = report.model.unwrap().version.to_string();
    let model = store.models().load_current().unwrap().unwrap();
    let features: Vec<String> = model.artifact().schema.names().map(str::to_owned).collect();

    let mut current = Vec::new();
    write_sample_csv(&mut current, rows, 2, scenario).unwrap();
    let mut reader = csv::Reader::from_reader(current.as_slice());
    let header = reader.headers().unwrap().clone();
    let positions: Vec<usize> = features
        .iter()
        .map(|f| header.iter().position(|h| h == f).unwrap())
        .collect();
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
        - Duration::minutes(i64::try_from(rows).unwrap());
    let mut rng = Rng::new(3);
    let mut predictions = Vec::new();
    let mut outcomes = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        let mut cells: Vec<Option<String>> = positions
            .iter()
            .map(|&p| Some(row[p].to_owned()).filter(|c| !c.is_empty()))
            .collect();
        if let (Some(hostile), true) = (hostile, i + 1 == rows) {
            let categorical = features
                .iter()
                .position(|f| f == "employment_type")
                .unwrap();
            cells[categorical] = Some(hostile.to_owned());
        }
        let score = rng.uniform();
        let id = uuid::Uuid::now_v7().to_string();
        let timestamp = start + Duration::minutes(i64::try_from(i).unwrap());
        if i % 2 == 0 {
            outcomes.push(OutcomeRecord {
                prediction_id: id.clone(),
                timestamp,
                actual: u8::from(rng.bernoulli(score)),
            });
        }
        predictions.push(PredictionRecord {
            prediction_id: id,
            timestamp,
            model_version: version.clone(),
            score,
            decision: u8::from(score >= 0.5),
            features: cells,
        });
    }
    store.predictions().append(&features, &predictions).unwrap();
    store.outcomes().append(&outcomes).unwrap();
    Fixture {
        _dir: dir,
        store,
        version,
        start,
    }
}

fn request(rows: usize) -> ReportRequest {
    ReportRequest {
        model_version: None,
        since: None,
        until: None,
        rows,
        segment_by: None,
        segment_options: SegmentOptions::default(),
    }
}

#[test]
fn default_window_is_the_drift_report_of_the_newest_rows() {
    let f = fixture(300, Scenario::IncomeShift, None);
    let data = gather_report(&f.store, &request(200)).unwrap();
    let profile = f
        .store
        .models()
        .load_profile(&f.version.parse().unwrap())
        .unwrap()
        .unwrap();
    let newest = drift_report_of_newest(&f.store, &f.version, &profile, 200)
        .unwrap()
        .unwrap();
    let drift = data.drift.as_ref().unwrap();
    assert_eq!(data.window.rows, 200);
    assert_eq!(drift.current.rows, 200);
    assert_eq!(drift.features, newest.features);
    assert_eq!(drift.score, newest.score);
    assert_eq!(drift.verdict, newest.verdict);
    // The page's data-quality table is the report's own section (issue 16).
    assert_eq!(drift.data_quality, newest.data_quality);
    assert_eq!(drift.data_quality.as_ref().unwrap().rows, 200);
    assert_eq!(data.model.as_ref().unwrap().version, f.version);
    assert!(data.training.is_some() && data.validation.is_some());
}

#[test]
fn production_metrics_of_the_window_are_computed_not_recorded() {
    let f = fixture(300, Scenario::Baseline, None);
    let before = f.store.metrics().history().unwrap();
    let since = f.start + Duration::minutes(100);
    let until = f.start + Duration::minutes(199);
    let data = gather_report(
        &f.store,
        &ReportRequest {
            since: Some(since),
            until: Some(until),
            ..request(10_000)
        },
    )
    .unwrap();
    assert_eq!(f.store.metrics().history().unwrap(), before);
    assert_eq!(data.window.rows, 100);
    assert_eq!(data.window.from, Some(since));
    assert_eq!(data.window.to, Some(until));
    // Rows 100..=199 of the fixture; every even one has an outcome: 50 labelled rows.
    let production = data.production.unwrap();
    assert_eq!(production.source, MetricSource::Production);
    assert_eq!(production.rows, Some(50));
    // The same rows through classification_metrics directly.
    let records = f
        .store
        .predictions()
        .recent(&scorewatch_core::PredictionQuery {
            since: Some(since),
            until: Some(until),
            ..scorewatch_core::PredictionQuery::newest(10_000)
        })
        .unwrap();
    let labels = scorewatch_core::outcome_labels(f.store.outcomes()).unwrap();
    let (scores, actuals): (Vec<f64>, Vec<bool>) = records
        .iter()
        .filter_map(|r| {
            labels
                .get(&scorewatch_core::prediction_key(&r.prediction_id))
                .map(|&a| (r.score, a))
        })
        .unzip();
    let expected = classification_metrics(&scores, &actuals, 0.5)
        .unwrap()
        .values();
    assert_eq!(production.metrics, expected);
}

#[test]
fn empty_window_says_so_plainly() {
    let f = fixture(50, Scenario::Baseline, None);
    let data = gather_report(
        &f.store,
        &ReportRequest {
            until: Some(f.start - Duration::days(1)),
            ..request(10_000)
        },
    )
    .unwrap();
    assert_eq!(data.window.rows, 0);
    assert!(data.drift.is_none() && data.production.is_none());
    let html = render_html(&data);
    assert!(
        html.contains(&format!(
            "This window holds no predictions of model {}.",
            f.version
        )),
        "{html}"
    );
    assert!(html.contains("NO VERDICT"));
    // The model's own metrics still show.
    assert!(html.contains("data-source=\"training\""));
}

#[test]
fn a_store_without_a_model_gives_a_page_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let data = gather_report(&store, &request(100)).unwrap();
    assert!(data.model.is_none());
    let html = render_html(&data);
    assert!(html.contains("No model is published yet."), "{html}");
}

#[test]
fn unknown_version_lists_the_published_ones() {
    let f = fixture(10, Scenario::Baseline, None);
    let err = gather_report(
        &f.store,
        &ReportRequest {
            model_version: Some("20200101-000000-abcdef".into()),
            ..request(100)
        },
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::UnknownVersion { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "no published model has version '20200101-000000-abcdef' (published: {})",
            f.version
        )
    );
    let err = gather_report(
        &f.store,
        &ReportRequest {
            model_version: Some("../x".into()),
            ..request(100)
        },
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::InvalidVersion(_)), "{err}");
}

#[test]
fn store_strings_are_escaped_and_nothing_is_fetched() {
    let hostile = "<script>alert(1)</script><img src=https://x.example/a.png>";
    let f = fixture(100, Scenario::NewSegment, Some(hostile));
    let mut data = gather_report(&f.store, &request(1_000)).unwrap();
    let clean = render_html(&data);
    // The hostile value is also a segment of `employment_type`: text, never markup.
    let segmented = render_html(&gather_report(&f.store, &segments_request(1_000, 10)).unwrap());
    assert!(segmented.contains("<tr data-segment=\"&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=https://x.example/a.png&gt;\""));
    assert!(!segmented.contains("<script") && !segmented.contains("<img"));
    for needle in [
        "<script", "src=", "href=", "@import", "url(", "http://", "https://",
    ] {
        assert!(!clean.contains(needle), "found {needle}");
    }
    // Names and labels come from files a user wrote: put markup in each kind of string.
    let drift = data.drift.as_mut().unwrap();
    drift.features[0].name = hostile.to_owned();
    drift.data_quality.as_mut().unwrap().features[0].name = hostile.to_owned();
    drift.features[0].bins[0].label = hostile.to_owned();
    drift.score.as_mut().unwrap().bins[0].label = hostile.to_owned();
    data.pipeline_state = hostile.to_owned();
    let html = render_html(&data);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"), "a store string became markup");
    assert!(!html.contains("<img"));
    for id in [
        "performance",
        "score",
        "drift",
        "quality",
        "runs",
        "how-to-read",
    ] {
        assert!(clean.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    for table in ["segment-drift", "segment-metrics"] {
        assert!(
            segmented.contains(&format!("<table id=\"{table}\">")),
            "{table}"
        );
    }
}

fn segments_request(rows: usize, min_rows: u64) -> ReportRequest {
    ReportRequest {
        segment_by: Some("employment_type".to_owned()),
        segment_options: SegmentOptions { min_rows },
        ..request(rows)
    }
}

#[test]
fn segments_of_the_default_window_are_the_segment_endpoints_results() {
    let f = fixture(400, Scenario::NewSegment, None);
    let options = SegmentOptions { min_rows: 30 };
    let data = gather_report(&f.store, &segments_request(400, 30)).unwrap();
    let table = data.segments.as_ref().unwrap();
    assert_eq!(
        (table.column.as_str(), table.min_rows),
        ("employment_type", 30)
    );

    let model = f.store.models().load_current().unwrap().unwrap();
    let training = TrainingReference::load(&f.store, &model).unwrap();
    let mut drift = drift_segments_of_newest(
        &f.store,
        &model,
        &training,
        "employment_type",
        400,
        &options,
    )
    .unwrap()
    .unwrap();
    let metrics = metrics_segments_of_newest(&f.store, &model, "employment_type", 400, &options)
        .unwrap()
        .unwrap();
    let gathered = table.drift.clone().unwrap();
    drift.computed_at = gathered.computed_at;
    assert_eq!(gathered, drift);
    assert_eq!(table.metrics.as_ref(), Some(&metrics));
    // NewSegment brings an employment type the training data never had: its reference
    // side is empty, so it is listed as thin, not judged.
    let thin: Vec<&str> = drift
        .segments
        .iter()
        .filter(|s| s.status == SegmentStatus::Insufficient)
        .map(|s| s.segment.as_str())
        .collect();
    assert!(!thin.is_empty(), "{drift:?}");

    let html = render_html(&data);
    for s in &drift.segments {
        let row = format!("<tr data-segment=\"{}\" data-status=\"", s.segment);
        assert!(html.contains(&row), "{}", s.segment);
    }
    for name in thin {
        let row =
            format!("<tr data-segment=\"{name}\" data-status=\"insufficient\" class=\"thin\">");
        assert!(html.contains(&row), "{name} is marked thin");
    }
    assert!(html.contains("<section id=\"segments\" data-column=\"employment_type\">"));
}

#[test]
fn segments_follow_the_reports_window() {
    let f = fixture(300, Scenario::Baseline, None);
    let data = gather_report(
        &f.store,
        &ReportRequest {
            since: Some(f.start + Duration::minutes(100)),
            until: Some(f.start + Duration::minutes(199)),
            ..segments_request(10_000, 10)
        },
    )
    .unwrap();
    let table = data.segments.unwrap();
    let drift = table.drift.unwrap();
    assert_eq!(drift.current.rows, 100);
    assert!(
        drift.current.description.contains(" since "),
        "{}",
        drift.current.description
    );
    let current: u64 = drift.segments.iter().map(|s| s.current_rows).sum();
    assert_eq!(current, 100);
    let metrics = table.metrics.unwrap();
    assert_eq!((metrics.rows, metrics.labelled_rows), (100, 50));
}

#[test]
fn an_unknown_segment_column_lists_the_models_features() {
    let f = fixture(20, Scenario::Baseline, None);
    let err = gather_report(
        &f.store,
        &ReportRequest {
            segment_by: Some("region".to_owned()),
            ..request(100)
        },
    )
    .unwrap_err();
    assert!(
        matches!(&err, ReportError::Segment(SegmentError::UnknownColumn { column, .. }) if column == "region"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("unknown segment column 'region'; valid columns: age, ")
            && text.contains("employment_type"),
        "{text}"
    );
}

#[test]
fn segments_of_an_empty_window_say_so() {
    let f = fixture(20, Scenario::Baseline, None);
    let data = gather_report(
        &f.store,
        &ReportRequest {
            until: Some(f.start - Duration::days(1)),
            ..segments_request(100, 10)
        },
    )
    .unwrap();
    let table = data.segments.as_ref().unwrap();
    assert!(table.drift.is_none() && table.metrics.is_none());
    let html = render_html(&data);
    assert!(
        html.contains("No drift per segment: no prediction of model"),
        "{html}"
    );
    assert!(html.contains("No performance per segment: the window holds no prediction."));
}

#[test]
fn a_changed_training_set_leaves_segment_drift_out_with_the_reason() {
    let f = fixture(100, Scenario::Baseline, None);
    let mut other = Vec::new();
    write_sample_csv(&mut other, 50, 9, Scenario::Baseline).unwrap();
    f.store
        .training_sets()
        .write(&TrainingSetName::parse("applications.csv").unwrap(), &other)
        .unwrap();
    let data = gather_report(&f.store, &segments_request(100, 10)).unwrap();
    let table = data.segments.as_ref().unwrap();
    assert!(table.drift.is_none());
    assert!(
        table
            .drift_missing
            .as_deref()
            .unwrap()
            .contains("changed since it was trained"),
        "{table:?}"
    );
    // The metrics need no reference.
    assert_eq!(table.metrics.as_ref().unwrap().rows, 100);
}

fn alert(rule: AlertRule, severity: Severity, state: AlertState, summary: &str) -> Alert {
    Alert {
        id: uuid::Uuid::now_v7().to_string(),
        rule,
        subject: "score".to_owned(),
        state,
        severity,
        since: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        resolved_at: None,
        summary: summary.to_owned(),
        details: serde_json::json!({}),
        acked_at: None,
        acked_by: None,
        last_notified_at: None,
        delivery: DeliveryStatus::default(),
        clear_streak: 0,
    }
}

#[test]
fn the_header_lists_the_firing_alerts_or_says_none_fire() {
    let f = fixture(20, Scenario::Baseline, None);
    let html = render_html(&gather_report(&f.store, &request(100)).unwrap());
    assert!(
        html.contains("<p class=\"muted\">No alerts firing.</p>"),
        "{html}"
    );

    let firing = [
        alert(
            AlertRule::ScoreDrift,
            Severity::Warning,
            AlertState::Firing,
            "Score drift: PSI 0.14 (moderate)",
        ),
        alert(
            AlertRule::NoTraffic,
            Severity::Critical,
            AlertState::Firing,
            "No prediction for 2 h <b>",
        ),
        alert(
            AlertRule::PipelineFailed,
            Severity::Critical,
            AlertState::Resolved,
            "Pipeline failed",
        ),
    ];
    f.store
        .alerts()
        .update(&mut |book| book.alerts.extend(firing.iter().cloned()))
        .unwrap();
    let data = gather_report(&f.store, &request(100)).unwrap();
    assert_eq!(data.firing_alerts.len(), 2);
    let html = render_html(&data);
    assert!(!html.contains("No alerts firing."));
    assert!(html.contains("<strong>2 alerts firing</strong>"), "{html}");
    // Critical first; summaries escaped; the resolved one left out.
    let critical = html
        .find("<li data-rule=\"no_traffic\" data-severity=\"critical\"><span class=\"severity critical\">critical</span> No prediction for 2 h &lt;b&gt;")
        .unwrap();
    let warning = html
        .find("<li data-rule=\"score_drift\" data-severity=\"warning\"><span class=\"severity warning\">warning</span> Score drift: PSI 0.14 (moderate)")
        .unwrap();
    assert!(critical < warning);
    assert!(!html.contains("Pipeline failed"));
}

/// Writes a sample report for a look in a browser (`cargo test -p scorewatch-core --test
/// report -- --ignored`); `SCOREWATCH_REPORT_SAMPLE` names the file.
#[test]
#[ignore = "writes a file for people to look at"]
fn write_sample_report() {
    let f = fixture(2_000, Scenario::IncomeShift, None);
    let html = render_html(&gather_report(&f.store, &request(10_000)).unwrap());
    let path = std::env::var("SCOREWATCH_REPORT_SAMPLE").unwrap_or("/tmp/report.html".into());
    std::fs::write(path, html).unwrap();
}
