//! Generated applications as `/predict` takes them, shared by the API and reliability
//! test binaries (each includes this file with `#[path]`).

use scorewatch_core::{Scenario, write_sample_csv};
use serde_json::{Value, json};

/// `n` applications as JSON feature maps, from the sample generator.
pub fn applications(n: usize, seed: u64) -> Vec<serde_json::Map<String, Value>> {
    let mut bytes = Vec::new();
    write_sample_csv(&mut bytes, n, seed, Scenario::Baseline).expect("sample");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|row| {
            let row = row.expect("row");
            headers
                .iter()
                .zip(row.iter())
                .filter(|(name, _)| *name != "default")
                .map(|(name, cell)| {
                    let value = if cell.is_empty() {
                        Value::Null
                    } else if let Ok(x) = cell.parse::<f64>() {
                        json!(x)
                    } else {
                        json!(cell)
                    };
                    (name.to_owned(), value)
                })
                .collect()
        })
        .collect()
}
