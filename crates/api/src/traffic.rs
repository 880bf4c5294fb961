//! Demo traffic: generated applications replayed to `POST /predict` at a steady rate, and
//! their late outcomes to `POST /monitoring/outcomes`, over loopback HTTP.
//!
//! The traffic starts on the baseline population and switches to a drift scenario after
//! a while, so that the monitoring (drift reports, production metrics) has something to
//! find. It goes through the public API like any client would: the server under test is
//! the real one, with its authentication, validation and logging.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use scorewatch_core::{Application, SampleGenerator, Scenario};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::config::Secret;

/// Longest single sleep, so that a stop request is seen quickly.
const STOP_POLL: Duration = Duration::from_millis(100);
/// Outcomes sent in one `POST /monitoring/outcomes` at most.
const OUTCOME_BATCH: usize = 500;
/// How late the schedule may fall before it is reset instead of caught up in a burst.
const MAX_LAG: Duration = Duration::from_secs(1);
/// Timeout of one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the traffic generator sends, and how fast.
#[derive(Debug, Clone)]
pub struct TrafficConfig {
    /// Base URL of the API, such as `http://127.0.0.1:8000`.
    pub base_url: String,
    /// Key sent in `X-API-Key`.
    pub api_key: Secret,
    /// Applications per second.
    pub rate: f64,
    /// Time on the baseline population before switching to `scenario`.
    pub drift_after: Duration,
    /// The population after the switch.
    pub scenario: Scenario,
    /// Seed of the generated applications (the baseline and drifted streams derive
    /// their own seeds from it).
    pub seed: u64,
    /// How long after its prediction an outcome is posted.
    pub outcome_delay: Duration,
}

/// Something the caller may want to show.
#[derive(Debug, Clone, PartialEq)]
pub enum TrafficEvent {
    /// The population switched to the drift scenario after this many predictions.
    Switched {
        /// The scenario now generated.
        scenario: Scenario,
        /// Predictions sent on the baseline population.
        after_predictions: u64,
    },
    /// A request failed (the traffic keeps going).
    Failed {
        /// The endpoint.
        path: &'static str,
        /// Why.
        message: String,
    },
}

/// Counts at the end of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficSummary {
    /// Predictions answered.
    pub predictions: u64,
    /// Outcomes accepted by the server.
    pub outcomes: u64,
    /// Requests that failed.
    pub failures: u64,
}

/// Errors that stop the traffic generator before it starts.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// The rate is not a positive, finite number.
    #[error("traffic rate must be a positive number of requests per second, got {0}")]
    Rate(f64),
    /// The HTTP client could not be built.
    #[error("cannot build the http client")]
    Client(#[source] reqwest::Error),
}

#[derive(Debug, Deserialize)]
struct PredictAnswer {
    prediction_id: String,
}

#[derive(Debug, Deserialize)]
struct OutcomesAnswer {
    accepted: u64,
}

/// The JSON body of `POST /predict` for one application: every feature, `null` when
/// missing, and neither the label nor the ground-truth probability.
#[must_use]
pub fn predict_body(app: &Application) -> Value {
    let number = |v: Option<f64>| v.map_or(Value::Null, |x| json!(x));
    let mut features = Map::new();
    features.insert("age".into(), json!(app.age));
    features.insert("monthly_income".into(), number(app.monthly_income));
    features.insert("debt_to_income".into(), json!(app.debt_to_income));
    features.insert(
        "credit_history_months".into(),
        number(app.credit_history_months),
    );
    features.insert("open_accounts".into(), json!(app.open_accounts));
    features.insert(
        "recent_delinquencies".into(),
        json!(app.recent_delinquencies),
    );
    features.insert("loan_amount".into(), json!(app.loan_amount));
    features.insert("term_months".into(), json!(app.term_months));
    features.insert("utilization".into(), number(app.utilization));
    features.insert(
        "employment_type".into(),
        app.employment_type
            .clone()
            .map_or(Value::Null, Value::String),
    );
    features.insert(
        "home_ownership".into(),
        Value::String(app.home_ownership.clone()),
    );
    features.insert(
        "loan_purpose".into(),
        Value::String(app.loan_purpose.clone()),
    );
    json!({ "features": features })
}

struct Sender {
    client: reqwest::blocking::Client,
    base_url: String,
    key: Secret,
}

impl Sender {
    fn post<T: for<'de> Deserialize<'de>>(&self, path: &str, body: &Value) -> Result<T, String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("X-API-Key", self.key.expose())
            .json(body)
            .send()
            .map_err(|err| err.to_string())?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().unwrap_or_default();
            return Err(format!("{status}: {text}"));
        }
        response.json().map_err(|err| err.to_string())
    }
}

/// Sends traffic until `stop` is set, reporting switches and failures to `on_event`.
///
/// # Errors
/// [`TrafficError`] when the rate is invalid or the client cannot be built; failed
/// requests are counted and reported, never fatal (the server may be restarting).
pub fn run(
    config: &TrafficConfig,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(TrafficEvent),
) -> Result<TrafficSummary, TrafficError> {
    if !(config.rate.is_finite() && config.rate > 0.0) {
        return Err(TrafficError::Rate(config.rate));
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(TrafficError::Client)?;
    let sender = Sender {
        client,
        base_url: config.base_url.trim_end_matches('/').to_owned(),
        key: config.api_key.clone(),
    };
    // Distinct streams from the training sample (which uses `seed` itself), so that the
    // served applications are new rows of the same population.
    let mut baseline = SampleGenerator::new(config.seed.wrapping_add(1), Scenario::Baseline);
    let mut drifted = SampleGenerator::new(config.seed.wrapping_add(2), config.scenario);
    let interval = Duration::from_secs_f64(1.0 / config.rate);
    let started = Instant::now();
    let mut next_at = started;
    let mut switched = false;
    let mut pending: VecDeque<(Instant, String, bool)> = VecDeque::new();
    let mut summary = TrafficSummary::default();

    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now < next_at {
            std::thread::sleep((next_at - now).min(STOP_POLL));
            continue;
        }
        next_at = if now - next_at > MAX_LAG {
            now + interval
        } else {
            next_at + interval
        };

        if !switched && now - started >= config.drift_after {
            switched = true;
            on_event(TrafficEvent::Switched {
                scenario: config.scenario,
                after_predictions: summary.predictions,
            });
        }
        let stream = if switched {
            &mut drifted
        } else {
            &mut baseline
        };
        let app = stream.next().unwrap_or_else(|| unreachable!("endless"));
        match sender.post::<PredictAnswer>("/predict", &predict_body(&app)) {
            Ok(answer) => {
                summary.predictions += 1;
                pending.push_back((
                    now + config.outcome_delay,
                    answer.prediction_id,
                    app.default,
                ));
            }
            Err(message) => {
                summary.failures += 1;
                on_event(TrafficEvent::Failed {
                    path: "/predict",
                    message,
                });
            }
        }
        send_due_outcomes(&sender, &mut pending, now, &mut summary, on_event);
    }
    Ok(summary)
}

fn send_due_outcomes(
    sender: &Sender,
    pending: &mut VecDeque<(Instant, String, bool)>,
    now: Instant,
    summary: &mut TrafficSummary,
    on_event: &mut dyn FnMut(TrafficEvent),
) {
    let due = pending
        .iter()
        .take_while(|(at, _, _)| *at <= now)
        .count()
        .min(OUTCOME_BATCH);
    if due == 0 {
        return;
    }
    let outcomes: Vec<Value> = pending
        .drain(..due)
        .map(|(_, id, default)| json!({"prediction_id": id, "actual": u8::from(default)}))
        .collect();
    match sender.post::<OutcomesAnswer>("/monitoring/outcomes", &json!({"outcomes": outcomes})) {
        Ok(answer) => summary.outcomes += answer.accepted,
        Err(message) => {
            summary.failures += 1;
            on_event(TrafficEvent::Failed {
                path: "/monitoring/outcomes",
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_body_has_every_feature_and_no_label() {
        let app = SampleGenerator::new(7, Scenario::Baseline)
            .find(|a| a.monthly_income.is_none())
            .expect("some incomes are missing");
        let body = predict_body(&app);
        let features = body["features"].as_object().expect("object");
        let expected: Vec<&str> = scorewatch_core::SAMPLE_COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != "default")
            .collect();
        let mut names: Vec<&str> = features.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut sorted = expected.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(features["monthly_income"], Value::Null);
    }

    #[test]
    fn rejects_a_bad_rate() {
        let config = TrafficConfig {
            base_url: "http://127.0.0.1:9".into(),
            api_key: Secret::new("k"),
            rate: 0.0,
            drift_after: Duration::ZERO,
            scenario: Scenario::IncomeShift,
            seed: 1,
            outcome_delay: Duration::ZERO,
        };
        let stop = AtomicBool::new(false);
        let err = run(&config, &stop, &mut |_| {}).unwrap_err();
        assert!(matches!(err, TrafficError::Rate(r) if r == 0.0), "{err}");
    }
}
