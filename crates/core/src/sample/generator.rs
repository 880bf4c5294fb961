//! The application generator and its CSV writer.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::rng::Rng;

/// Column names of a generated sample, in order; the label `default` is last.
pub const SAMPLE_COLUMNS: [&str; 13] = [
    "age",
    "monthly_income",
    "debt_to_income",
    "credit_history_months",
    "open_accounts",
    "recent_delinquencies",
    "loan_amount",
    "term_months",
    "utilization",
    "employment_type",
    "home_ownership",
    "loan_purpose",
    "default",
];

const EMPLOYMENT: [(&str, f64, f64); 4] = [
    ("salaried", 0.60, 0.0),
    ("self_employed", 0.20, 0.3),
    ("contract", 0.12, 0.45),
    ("unemployed", 0.08, 0.9),
];
const HOME: [(&str, f64, f64); 3] = [
    ("rent", 0.4, 0.2),
    ("mortgage", 0.4, 0.0),
    ("own", 0.2, -0.25),
];
const PURPOSE: [(&str, f64, f64); 6] = [
    ("debt_consolidation", 0.35, 0.1),
    ("car", 0.20, 0.0),
    ("home_improvement", 0.15, 0.0),
    ("education", 0.10, 0.2),
    ("business", 0.10, 0.4),
    ("other", 0.10, 0.1),
];
const TERMS: [f64; 5] = [12.0, 24.0, 36.0, 48.0, 60.0];
const TERM_WEIGHTS: [f64; 5] = [0.1, 0.2, 0.35, 0.15, 0.2];

/// A population shift to generate on purpose (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// The reference population.
    #[default]
    Baseline,
    /// Incomes 30 % lower, debt-to-income up accordingly.
    IncomeShift,
    /// 30 % young gig workers, an unseen employment category.
    NewSegment,
    /// A riskier population whose scores rise.
    ScoreInflation,
}

impl Scenario {
    /// Every scenario, for help texts.
    pub const ALL: [Scenario; 4] = [
        Scenario::Baseline,
        Scenario::IncomeShift,
        Scenario::NewSegment,
        Scenario::ScoreInflation,
    ];

    /// The scenario's name as written on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::IncomeShift => "income_shift",
            Scenario::NewSegment => "new_segment",
            Scenario::ScoreInflation => "score_inflation",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = SampleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == s)
            .ok_or_else(|| SampleError::UnknownScenario(s.to_owned()))
    }
}

/// Errors of the sample generator.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The scenario name is not one of [`Scenario::ALL`].
    #[error(
        "unknown scenario '{0}' (expected baseline, income_shift, new_segment or score_inflation)"
    )]
    UnknownScenario(String),
    /// Writing the CSV failed.
    #[error("cannot write the sample csv")]
    Write(#[source] csv::Error),
}

/// One generated application; `None` is a missing value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// Age in years.
    pub age: f64,
    /// Monthly income.
    pub monthly_income: Option<f64>,
    /// Monthly debt payments over monthly income.
    pub debt_to_income: f64,
    /// Months since the first credit line.
    pub credit_history_months: Option<f64>,
    /// Open credit accounts.
    pub open_accounts: f64,
    /// Delinquencies in the last 24 months.
    pub recent_delinquencies: f64,
    /// Requested amount.
    pub loan_amount: f64,
    /// Requested term in months.
    pub term_months: f64,
    /// Revolving credit utilisation in [0, 1].
    pub utilization: Option<f64>,
    /// Employment type.
    pub employment_type: Option<String>,
    /// Home ownership.
    pub home_ownership: String,
    /// Loan purpose.
    pub loan_purpose: String,
    /// Ground-truth probability of default.
    pub true_probability: f64,
    /// The drawn label.
    pub default: bool,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn pick<'a>(rng: &mut Rng, table: &[(&'a str, f64, f64)]) -> (&'a str, f64) {
    let weights: Vec<f64> = table.iter().map(|row| row.1).collect();
    let row = table[rng.weighted_index(&weights)];
    (row.0, row.2)
}

fn effect(table: &[(&str, f64, f64)], name: &str) -> f64 {
    table
        .iter()
        .find(|row| row.0 == name)
        .map_or(0.0, |row| row.2)
}

/// An endless, deterministic stream of applications.
#[derive(Debug, Clone)]
pub struct SampleGenerator {
    rng: Rng,
    scenario: Scenario,
}

impl SampleGenerator {
    /// A generator fixed by `seed` and `scenario`.
    #[must_use]
    pub fn new(seed: u64, scenario: Scenario) -> Self {
        Self {
            rng: Rng::new(seed),
            scenario,
        }
    }

    #[allow(clippy::too_many_lines)] // one formula, read top to bottom
    fn application(&mut self) -> Application {
        let rng = &mut self.rng;
        let new_segment = self.scenario == Scenario::NewSegment && rng.bernoulli(0.3);
        let age = if new_segment {
            18.0 + (rng.uniform() * 9.0).floor()
        } else {
            rng.normal(41.0, 12.0).clamp(18.0, 80.0).round()
        };
        let (employment, employment_effect) = if new_segment {
            ("gig", 0.6)
        } else {
            pick(rng, &EMPLOYMENT)
        };
        let (home, _) = pick(rng, &HOME);
        let (purpose, _) = if new_segment {
            ("other", 0.0)
        } else {
            pick(rng, &PURPOSE)
        };
        let employment_income = match employment {
            "self_employed" => 0.1,
            "contract" => -0.1,
            "unemployed" => -0.8,
            "gig" => -0.35,
            _ => 0.0,
        };
        let mut income =
            (3500f64.ln() + 0.012 * (age - 40.0) + employment_income + rng.normal(0.0, 0.45)).exp();
        let mut dti = rng.normal(0.3, 0.12).clamp(0.0, 1.2);
        let max_history = (age - 18.0) * 12.0;
        let history = if new_segment {
            (rng.uniform() * max_history.min(36.0)).round()
        } else {
            (max_history * (0.25 + 0.75 * rng.uniform())).round()
        };
        let open_accounts = rng.normal(5.0, 2.5).abs().round();
        let delinquency_rate = if self.scenario == Scenario::ScoreInflation {
            0.4
        } else {
            0.2
        };
        let mut delinquencies = 0.0;
        while delinquencies < 6.0 && rng.bernoulli(delinquency_rate) {
            delinquencies += 1.0;
        }
        let loan_scale = if new_segment { 0.8 } else { 2.5 };
        let loan_amount =
            ((income * loan_scale * rng.normal(0.0, 0.5).exp()).clamp(500.0, 100_000.0) / 100.0)
                .round()
                * 100.0;
        let term = TERMS[rng.weighted_index(&TERM_WEIGHTS)];
        let mut utilization = rng.normal(0.35, 0.2).clamp(0.0, 1.0);
        match self.scenario {
            Scenario::IncomeShift => {
                income *= 0.7;
                dti = (dti / 0.7).min(1.5);
            }
            Scenario::ScoreInflation => {
                utilization = (utilization + 0.2).min(1.0);
                dti = (dti + 0.1).min(1.5);
            }
            Scenario::Baseline | Scenario::NewSegment => {}
        }
        let employment_effect = if new_segment {
            employment_effect
        } else {
            effect(&EMPLOYMENT, employment)
        };
        let z = -2.3 - 0.025 * (age - 40.0) - 0.9 * (income / 3500.0).ln() + 3.5 * (dti - 0.3)
            - 0.008 * (history - 80.0)
            + 0.04 * (open_accounts - 5.0)
            + 0.55 * delinquencies
            + 0.35 * (loan_amount / 10_000.0).ln()
            + 0.012 * (term - 36.0)
            + 1.8 * (utilization - 0.35)
            + employment_effect
            + effect(&HOME, home)
            + effect(&PURPOSE, purpose);
        let true_probability = sigmoid(z);
        let default = rng.bernoulli(true_probability);
        let round = |x: f64, places: i32| {
            let scale = 10f64.powi(places);
            (x * scale).round() / scale
        };
        Application {
            age,
            monthly_income: (!rng.bernoulli(0.03)).then_some(round(income, 2)),
            debt_to_income: round(dti, 4),
            credit_history_months: (!rng.bernoulli(0.02)).then_some(history),
            open_accounts,
            recent_delinquencies: delinquencies,
            loan_amount,
            term_months: term,
            utilization: (!rng.bernoulli(0.04)).then_some(round(utilization, 4)),
            employment_type: (!rng.bernoulli(0.01)).then(|| employment.to_owned()),
            home_ownership: home.to_owned(),
            loan_purpose: purpose.to_owned(),
            true_probability,
            default,
        }
    }
}

impl Iterator for SampleGenerator {
    type Item = Application;

    fn next(&mut self) -> Option<Application> {
        Some(self.application())
    }
}

fn cell(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes `rows` applications of `scenario` drawn with `seed` as CSV with the header
/// [`SAMPLE_COLUMNS`]; missing values are empty cells, `default` is 0 or 1.
///
/// # Errors
/// [`SampleError::Write`] when the writer fails.
pub fn write_sample_csv<W: Write>(
    writer: W,
    rows: usize,
    seed: u64,
    scenario: Scenario,
) -> Result<(), SampleError> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(SAMPLE_COLUMNS)
        .map_err(SampleError::Write)?;
    for app in SampleGenerator::new(seed, scenario).take(rows) {
        csv.write_record([
            app.age.to_string(),
            cell(app.monthly_income),
            app.debt_to_income.to_string(),
            cell(app.credit_history_months),
            app.open_accounts.to_string(),
            app.recent_delinquencies.to_string(),
            app.loan_amount.to_string(),
            app.term_months.to_string(),
            cell(app.utilization),
            app.employment_type.unwrap_or_default(),
            app.home_ownership,
            app.loan_purpose,
            u8::from(app.default).to_string(),
        ])
        .map_err(SampleError::Write)?;
    }
    csv.flush()
        .map_err(|err| SampleError::Write(csv::Error::from(err)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classification::roc_auc;

    #[test]
    fn same_seed_same_rows() {
        let a: Vec<Application> = SampleGenerator::new(9, Scenario::Baseline)
            .take(50)
            .collect();
        let b: Vec<Application> = SampleGenerator::new(9, Scenario::Baseline)
            .take(50)
            .collect();
        assert_eq!(a, b);
        let c: Vec<Application> = SampleGenerator::new(10, Scenario::Baseline)
            .take(50)
            .collect();
        assert_ne!(a, c);
    }

    #[test]
    fn ground_truth_auc_and_default_rate_are_in_band() {
        let rows: Vec<Application> = SampleGenerator::new(42, Scenario::Baseline)
            .take(20_000)
            .collect();
        let scores: Vec<f64> = rows.iter().map(|r| r.true_probability).collect();
        let labels: Vec<bool> = rows.iter().map(|r| r.default).collect();
        let auc = roc_auc(&scores, &labels).unwrap();
        let rate = labels.iter().filter(|&&d| d).count() as f64 / labels.len() as f64;
        eprintln!("ground truth auc {auc} default rate {rate}");
        assert!((0.79..0.84).contains(&auc), "ground-truth auc {auc}");
        assert!((0.10..0.15).contains(&rate), "default rate {rate}");
        let missing_income = rows.iter().filter(|r| r.monthly_income.is_none()).count();
        assert!(
            missing_income > 400 && missing_income < 800,
            "{missing_income}"
        );
    }

    #[test]
    fn scenarios_shift_what_they_document() {
        let mean = |scenario: Scenario, f: fn(&Application) -> Option<f64>| {
            let values: Vec<f64> = SampleGenerator::new(1, scenario)
                .take(5_000)
                .filter_map(|a| f(&a))
                .collect();
            values.iter().sum::<f64>() / values.len() as f64
        };
        let income = |a: &Application| a.monthly_income;
        assert!(mean(Scenario::IncomeShift, income) < 0.8 * mean(Scenario::Baseline, income));
        let risk = |a: &Application| Some(a.true_probability);
        assert!(mean(Scenario::ScoreInflation, risk) > 1.3 * mean(Scenario::Baseline, risk));
        let gig = SampleGenerator::new(1, Scenario::NewSegment)
            .take(1_000)
            .filter(|a| a.employment_type.as_deref() == Some("gig"))
            .count();
        assert!((220..380).contains(&gig), "{gig}");
        assert!("nope".parse::<Scenario>().is_err());
        assert_eq!(
            "new_segment".parse::<Scenario>().unwrap(),
            Scenario::NewSegment
        );
    }

    #[test]
    fn csv_has_header_and_blank_missing_cells() {
        let mut out = Vec::new();
        write_sample_csv(&mut out, 200, 3, Scenario::Baseline).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), SAMPLE_COLUMNS.join(","));
        assert_eq!(text.lines().count(), 201);
        assert!(text.lines().any(|l| l.contains(",,")));
    }
}
