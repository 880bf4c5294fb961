//! Writes the seed corpora of the fuzz targets into `fuzz/corpus/<target>/`: real files
//! made by the store, the pipeline and the drift engine (see `hostile::seed_files`).
//!
//! `cargo +nightly run --manifest-path fuzz/Cargo.toml --example seed_corpus`

#[path = "../../crates/core/tests/support/hostile.rs"]
mod hostile;

use std::path::Path;

fn main() -> std::io::Result<()> {
    let seeds = hostile::seed_files();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let with = |selector: u8, bytes: &[u8]| {
        let mut out = vec![selector];
        out.extend_from_slice(bytes);
        out
    };
    let corpora: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "csv_log",
            "predictions_log.csv",
            seeds.predictions_log.clone(),
        ),
        ("csv_log", "outcomes_log.csv", seeds.outcomes_log.clone()),
        (
            "json_documents",
            "model_metrics.json",
            with(0, &seeds.metrics),
        ),
        (
            "json_documents",
            "drift_reports.json",
            with(1, &seeds.drift_reports),
        ),
        (
            "json_documents",
            "pipeline_status.json",
            with(2, &seeds.pipeline_status),
        ),
        (
            "json_documents",
            "pipeline_running.json",
            with(2, &seeds.pipeline_running),
        ),
        ("model_files", "model.json", with(0, &seeds.model)),
        (
            "model_files",
            "reference_profile.json",
            with(1, &seeds.profile),
        ),
    ];
    let requests = seeds
        .requests
        .iter()
        .enumerate()
        .map(|(i, body)| ("request_body", format!("request-{i}.json"), body.clone()));
    for (target, name, bytes) in corpora
        .into_iter()
        .map(|(t, n, b)| (t, n.to_owned(), b))
        .chain(requests)
    {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
    }
    println!("seed corpora written to {}", root.display());
    Ok(())
}
