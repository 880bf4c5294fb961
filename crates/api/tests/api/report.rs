//! `GET /monitoring/report`: a self-contained page (checked with an HTML5 parser), whose
//! numbers are the JSON endpoints' numbers, rendered by a real browser.

use std::time::Duration;

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, expect_error, spawn_app, spawn_with};
use crate::skip::skip_or_fail;

/// The drift window of these tests: small, so the default report reads every prediction.
const WINDOW: usize = 300;

fn select(selector: &str) -> Selector {
    Selector::parse(selector).expect("valid selector")
}

fn text(page: &Html, selector: &str) -> String {
    page.select(&select(selector))
        .next()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .text()
        .collect::<String>()
        .trim()
        .to_owned()
}

async fn report(app: &TestApp, query: &str) -> (String, String) {
    let response = app
        .get(&format!("/monitoring/report{query}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    (content_type, response.text().await.expect("body"))
}

/// A trained model, 120 predictions, outcomes for 60 of them and production metrics
/// computed from them by the server in the background.
async fn app_with_traffic() -> TestApp {
    let app = spawn_with(tempfile::tempdir().expect("dir"), |c| {
        c.drift_window = WINDOW;
        c.drift_every = 0;
        c.metrics_every = 60;
    })
    .await;
    app.train().await;
    let ids = app.predict_n(120).await;
    let outcomes: Vec<Value> = ids[..60]
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"prediction_id": id, "actual": u8::from(i % 3 == 0)}))
        .collect();
    let response = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for _ in 0..400 {
        if !app.get_json("/monitoring/metrics").await["production"].is_null() {
            return app;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("production metrics were not computed");
}

fn four(value: &Value) -> String {
    format!("{:.4}", value.as_f64().expect("number"))
}

#[tokio::test]
async fn rendered_numbers_are_the_json_endpoints_numbers() {
    // Arrange
    let app = app_with_traffic().await;
    let response = app.post("/monitoring/drift/run").send().await.expect("run");
    assert_eq!(response.status(), StatusCode::CREATED);
    let drift: Value = response.json().await.expect("drift json");
    let metrics = app.get_json("/monitoring/metrics").await;

    // Act
    let (_, html) = report(&app, "").await;
    let page = Html::parse_document(&html);

    // Assert: header, score and every feature's PSI as the drift report has them.
    assert_eq!(
        text(&page, "#model-version"),
        format!(
            "{} (current model)",
            metrics["model"]["version"].as_str().expect("v")
        )
    );
    assert_eq!(
        page.select(&select("#data-window"))
            .next()
            .expect("window")
            .attr("data-rows"),
        Some("120")
    );
    assert_eq!(text(&page, "#score-psi"), four(&drift["score"]["psi"]));
    let features = drift["features"].as_array().expect("features");
    assert_eq!(features.len(), 12);
    for feature in features {
        let name = feature["name"].as_str().expect("name");
        let cell = text(
            &page,
            &format!("#drift-table tr[data-feature=\"{name}\"] td[data-psi]"),
        );
        let expected = if feature["psi"].is_null() {
            "n/a".to_owned()
        } else {
            four(&feature["psi"])
        };
        assert_eq!(cell, expected, "{name}");
        let missing = text(
            &page,
            &format!("#quality-table tr[data-feature=\"{name}\"] td[data-missing]"),
        );
        assert_eq!(
            missing,
            format!(
                "{:.1}%",
                100.0 * feature["missing_current"].as_f64().expect("share")
            ),
            "{name}"
        );
    }
    // The data-quality table is the report's `data_quality` section (issue 16).
    let quality = drift["data_quality"]["features"]
        .as_array()
        .expect("the report's data_quality section");
    assert_eq!(quality.len(), 12);
    for feature in quality {
        let name = feature["name"].as_str().expect("name");
        for (attr, share) in [
            ("data-out-of-range", "out_of_range_share"),
            ("data-unseen", "unseen_category_share"),
        ] {
            let selector = format!("#quality-table tr[data-feature=\"{name}\"] td[{attr}]");
            let cell = page
                .select(&select(&selector))
                .next()
                .unwrap_or_else(|| panic!("no element matches {selector}"));
            assert_eq!(
                cell.attr(attr),
                Some(four(&feature[share]).as_str()),
                "{name} {attr}"
            );
        }
    }
    let verdict = drift["verdict"]["status"].as_str().expect("status");
    assert!(
        text(&page, "#verdict").starts_with(&verdict.to_uppercase()),
        "{verdict}"
    );

    // Metrics: training and validation as the history has them, production as the
    // background computation over the same window recorded it.
    for source in ["training", "validation", "production"] {
        for metric in ["roc_auc", "gini", "ks", "accuracy", "brier", "log_loss"] {
            let cell = text(
                &page,
                &format!("td[data-metric=\"{metric}\"][data-source=\"{source}\"]"),
            );
            assert_eq!(
                cell,
                four(&metrics[source]["metrics"][metric]),
                "{source} {metric}"
            );
        }
    }
    assert_eq!(text(&page, "td[data-rows=\"production\"]"), "60");
}

/// The text of the cell of `metric` in the row of `segment` of table `table`.
fn segment_cell(page: &Html, table: &str, segment: &str, metric: &str) -> String {
    text(
        page,
        &format!("#{table} tr[data-segment=\"{segment}\"] td[data-metric=\"{metric}\"]"),
    )
}

/// A JSON number to four decimals as the page writes it, `n/a` for `null`.
fn four_or_na(value: &Value) -> String {
    if value.is_null() {
        "n/a".to_owned()
    } else {
        four(value)
    }
}

#[tokio::test]
async fn segments_table_numbers_are_the_segment_endpoints_numbers() {
    // Arrange: the report's default window is the drift window, as the endpoints' is.
    let app = app_with_traffic().await;
    let drift = app
        .get_json("/monitoring/drift?segment_by=employment_type&min_rows=10")
        .await;
    let drift = &drift["by_segment"];
    let metrics = app
        .get_json("/monitoring/metrics/segments?by=employment_type&min_rows=10")
        .await;

    // Act
    let (_, html) = report(&app, "?segment_by=employment_type&min_rows=10").await;
    let page = Html::parse_document(&html);

    // Assert: the same segments in the same (worst first) order, and their numbers.
    let order = |table: &str| -> Vec<String> {
        page.select(&select(&format!("#{table} tbody tr")))
            .filter_map(|row| row.value().attr("data-segment").map(str::to_owned))
            .collect()
    };
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("segments")
            .iter()
            .map(|s| s["segment"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(order("segment-drift"), names(&drift["segments"]));
    assert_eq!(order("segment-metrics"), names(&metrics["segments"]));
    check_drift_rows(&page, drift);
    check_metrics_rows(&page, &metrics);
    let sections: Vec<&str> = page
        .select(&select("body > section"))
        .filter_map(|s| s.value().attr("id"))
        .collect();
    assert_eq!(
        sections,
        [
            "performance",
            "score",
            "drift",
            "quality",
            "segments",
            "runs",
            "how-to-read"
        ]
    );
    assert!(text(&page, "#alerts").starts_with("No alerts firing"));
}

/// Each drift segment's numbers in `#segment-drift`, and thin ones marked.
fn check_drift_rows(page: &Html, drift: &Value) {
    let mut thin = 0;
    for s in drift["segments"].as_array().expect("segments") {
        let name = s["segment"].as_str().expect("name");
        let cell = |metric| segment_cell(page, "segment-drift", name, metric);
        assert_eq!(
            cell("reference_rows"),
            s["reference_rows"].to_string(),
            "{name}"
        );
        assert_eq!(
            cell("current_rows"),
            s["current_rows"].to_string(),
            "{name}"
        );
        assert_eq!(cell("score_psi"), four_or_na(&s["score_psi"]), "{name}");
        let ks = cell("score_ks");
        assert!(
            ks.starts_with(&four_or_na(&s["score_ks"]["statistic"])),
            "{name}: {ks}"
        );
        let row = page
            .select(&select(&format!(
                "#segment-drift tr[data-segment=\"{name}\"]"
            )))
            .next()
            .expect("row");
        assert_eq!(
            row.value().attr("data-status"),
            s["status"].as_str(),
            "{name}"
        );
        if s["status"] == "insufficient" {
            // Thin: listed with its counts, marked, and no verdict.
            thin += 1;
            assert_eq!(row.value().attr("class"), Some("thin"), "{name}");
            assert!(
                !row.text().collect::<String>().contains("DRIFTED"),
                "{name}"
            );
        }
    }
    assert!(
        thin > 0,
        "120 rows over 5 segments leave a thin one at 10 rows: {drift}"
    );
}

/// Each metrics segment's numbers in `#segment-metrics`.
fn check_metrics_rows(page: &Html, metrics: &Value) {
    let mut estimated = 0;
    for s in metrics["segments"].as_array().expect("segments") {
        let name = s["segment"].as_str().expect("name");
        let cell = |metric| segment_cell(page, "segment-metrics", name, metric);
        assert_eq!(cell("rows"), s["rows"].to_string(), "{name}");
        assert_eq!(
            cell("labelled_rows"),
            s["labelled_rows"].to_string(),
            "{name}"
        );
        for metric in [
            "positive_rate",
            "roc_auc",
            "gini",
            "ks",
            "brier",
            "estimated_roc_auc",
            "estimated_accuracy",
        ] {
            assert_eq!(cell(metric), four_or_na(&s[metric]), "{name} {metric}");
        }
        if !s["estimated_roc_auc"].is_null() {
            estimated += 1;
        }
    }
    assert!(estimated > 0, "{metrics}");
}

#[tokio::test]
async fn an_unknown_segment_column_is_422_listing_the_valid_columns() {
    let app = spawn_app().await;
    app.train().await;
    let response = app
        .get("/monitoring/report?segment_by=region")
        .send()
        .await
        .expect("request");
    let body = expect_error(response, 422, "invalid_fields").await;
    let problem = &body.error.details[0];
    assert_eq!(problem.field, "segment_by");
    assert!(
        problem
            .problem
            .starts_with("unknown segment column 'region'; valid columns: age, ")
            && problem.problem.contains("employment_type"),
        "{problem:?}"
    );
    let response = app
        .get("/monitoring/report?segment_by=employment_type&min_rows=0")
        .send()
        .await
        .expect("request");
    let body = expect_error(response, 422, "invalid_fields").await;
    assert_eq!(body.error.details[0].field, "min_rows");
}

#[tokio::test]
async fn page_is_self_contained_html() {
    let app = app_with_traffic().await;
    let (content_type, html) = report(&app, "").await;
    assert_eq!(content_type, "text/html; charset=utf-8");
    let page = Html::parse_document(&html);
    assert!(page.errors.is_empty(), "parse errors: {:?}", page.errors);

    // Structure: one title, one h1, the sections in order.
    assert_eq!(page.select(&select("head > title")).count(), 1);
    assert_eq!(
        page.select(&select("head > meta[charset=\"utf-8\"]"))
            .count(),
        1
    );
    assert_eq!(page.select(&select("body h1")).count(), 1);
    let sections: Vec<&str> = page
        .select(&select("body > section"))
        .filter_map(|s| s.value().attr("id"))
        .collect();
    assert_eq!(
        sections,
        [
            "performance",
            "score",
            "drift",
            "quality",
            "runs",
            "how-to-read"
        ]
    );
    // A bin plot per feature plus the score's and the history's.
    assert_eq!(page.select(&select("#drift-table svg")).count(), 12);
    assert_eq!(page.select(&select("#score svg")).count(), 1);
    assert_eq!(page.select(&select("#history-plot svg")).count(), 1);
    assert_eq!(page.select(&select("#runs-table tbody tr")).count(), 1);

    // Nothing that loads or runs anything.
    for forbidden in [
        "script", "link", "iframe", "object", "embed", "img", "base", "form",
    ] {
        assert_eq!(page.select(&select(forbidden)).count(), 0, "<{forbidden}>");
    }
    for element in page.select(&select("*")) {
        for (name, value) in element.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}");
            if matches!(name, "src" | "href" | "xlink:href" | "action" | "srcset") {
                panic!("<{}> has {name}={value}", element.value().name());
            }
            assert!(!value.contains("url("), "{name}={value}");
        }
    }
    for style in page.select(&select("style")) {
        let css: String = style.text().collect();
        assert!(!css.contains("@import") && !css.contains("url("), "{css}");
        assert!(css.contains("@media print"));
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[tokio::test]
async fn an_empty_window_says_so_and_a_model_less_store_too() {
    let app = spawn_app().await;
    let (_, html) = report(&app, "").await;
    let page = Html::parse_document(&html);
    assert!(text(&page, "#empty-window").starts_with("No model is published yet."));

    app.train().await;
    app.predict_n(5).await;
    let (_, html) = report(&app, "?until=2000-01-01T00:00:00Z").await;
    let page = Html::parse_document(&html);
    assert!(
        text(&page, "#empty-window").starts_with("This window holds no predictions of model"),
        "{html}"
    );
    assert!(text(&page, "#verdict").starts_with("NO VERDICT"));
}

#[tokio::test]
async fn bad_options_are_422_naming_the_field() {
    let app = spawn_app().await;
    app.train().await;
    let versions = app.get_json("/monitoring/metrics").await["model"]["version"]
        .as_str()
        .expect("version")
        .to_owned();
    for (query, field) in [
        ("?rows=0", "rows"),
        ("?rows=1000001", "rows"),
        ("?since=yesterday", "since"),
        (
            "?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
            "since",
        ),
        ("?model_version=20200101-000000-abcdef", "model_version"),
        ("?model_version=..%2Fx", "model_version"),
    ] {
        let response = app
            .get(&format!("/monitoring/report{query}"))
            .send()
            .await
            .expect("request");
        let body = expect_error(response, 422, "invalid_fields").await;
        assert_eq!(body.error.details[0].field, field, "{query}");
        if query.contains("abcdef") {
            assert!(
                body.error.details[0].problem.contains(&versions),
                "the published versions are listed: {body:?}"
            );
        }
    }
}

#[tokio::test]
async fn protected_like_the_other_reads() {
    let app = spawn_with(tempfile::tempdir().expect("dir"), |c| {
        c.protect_reads = true;
    })
    .await;
    let response = app.get("/monitoring/report").send().await.expect("request");
    expect_error(response, 401, "missing_api_key").await;
    let response = app
        .get("/monitoring/report")
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
}

/// Headless Chromium renders the page to a PNG; a blank page (a broken document, CSS
/// that hides everything) would be almost all white.
#[tokio::test]
async fn chromium_renders_a_page_that_is_not_blank() {
    const TEST: &str = "chromium_renders_a_page_that_is_not_blank";
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .output()
            .is_ok()
    }) else {
        return skip_or_fail(TEST, "no chromium on PATH (apt-get install -y chromium)");
    };
    let app = app_with_traffic().await;
    let (_, html) = report(&app, "").await;
    let dir = tempfile::tempdir().expect("dir");
    let page = dir.path().join("report.html");
    let png = dir.path().join("report.png");
    std::fs::write(&page, html).expect("write page");
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", dir.path().join("profile").display()),
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (width, height, ink) = ink_share(&png);
    assert_eq!((width, height), (1280, 2000));
    // Measured at 1280x2000: 5.7% of a 12-feature report's pixels are not white, 0.005%
    // of a page with one heading.
    assert!(
        ink > 0.03,
        "only {:.2}% of the page is not white",
        100.0 * ink
    );
}

/// The share of pixels that are not (near) white.
fn ink_share(path: &std::path::Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let total = u64::from(info.width) * u64::from(info.height);
    let ink = pixels
        .filter(|p| p.iter().take(3).any(|&c| c < 235))
        .count();
    (info.width, info.height, ink as f64 / total as f64)
}
