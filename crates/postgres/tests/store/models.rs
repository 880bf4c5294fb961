//! The model registry: publish, promote, load, list; two publishers at once.

use std::path::Path;
use std::sync::{Arc, Barrier};

use scorewatch_core::{
    ColumnValues, ModelArtifact, ModelStore, NamedColumn, NumericValues, PromotionPolicy,
    ReferenceProfile, RegistryError, Scenario, TargetSpec, TrainConfig, parse_csv, split_indices,
    train_model, write_sample_csv,
};
use scorewatch_postgres::testing::execute;

use crate::support::TestDb;

/// A model really trained on 1,000 generated rows, named `version`.
fn trained(version: &str) -> ModelArtifact {
    let mut bytes = Vec::new();
    write_sample_csv(&mut bytes, 1_000, 42, Scenario::Baseline).unwrap();
    let data = parse_csv(
        Path::new("sample.csv"),
        &bytes,
        &TargetSpec::default(),
        None,
        &[],
    )
    .unwrap();
    let (train_idx, valid_idx) = split_indices(data.len(), 0.3, 7);
    let mut artifact = train_model(
        &data.select(&train_idx),
        &data.select(&valid_idx),
        Vec::new(),
        &TrainConfig::default(),
        &|| false,
    )
    .unwrap();
    artifact.version = version.parse().unwrap();
    artifact
}

fn profile() -> ReferenceProfile {
    let age = NamedColumn {
        name: "age".into(),
        values: ColumnValues::Numeric(NumericValues::from_raw(
            (0..50).map(|i| f64::from(20 + i)).collect(),
        )),
    };
    ReferenceProfile::from_columns(vec![age], None)
}

fn with_auc(mut artifact: ModelArtifact, auc: f64) -> ModelArtifact {
    artifact.validation_metrics.roc_auc = Some(auc);
    artifact
}

#[test]
fn publish_keeps_versions_and_moves_current_only_on_promotion() {
    const TEST: &str = "publish_keeps_versions_and_moves_current_only_on_promotion";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let models = store.models();
    assert_eq!(models.current_version().unwrap(), None);
    assert!(models.load_current().unwrap().is_none());
    assert!(models.versions().unwrap().is_empty());

    let first = models
        .publish(
            with_auc(trained("v1"), 0.80),
            Some(&profile()),
            &PromotionPolicy::default(),
        )
        .unwrap();
    assert!(first.promotion.as_ref().unwrap().promoted);
    assert_eq!(models.current_version().unwrap().unwrap().as_str(), "v1");
    let stored = models.load_profile(&first.version).unwrap().unwrap();
    assert_eq!(stored, profile());
    // The artifact comes back as published, with its promotion decision. Floats are
    // compared to the last bits: serde_json's default float parsing (no
    // `float_roundtrip` feature, the same for the file backend) may be one ulp off.
    let loaded = models.load(&first.version).unwrap().artifact().clone();
    assert_eq!(loaded.promotion, first.promotion);
    assert_eq!(loaded.schema, first.schema);
    assert_eq!(loaded.created_at, first.created_at);
    let (got, want) = (&loaded.coefficients.weights, &first.coefficients.weights);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= w.abs() * 4.0 * f64::EPSILON, "{g} != {w}");
    }

    // Worse beyond the tolerance: kept, not promoted, without a profile.
    let worse = models
        .publish(
            with_auc(trained("v2"), 0.70),
            None,
            &PromotionPolicy::default(),
        )
        .unwrap();
    let decision = worse.promotion.as_ref().unwrap();
    assert!(!decision.promoted);
    assert_eq!(decision.previous.as_deref(), Some("v1"));
    assert_eq!(models.current_version().unwrap().unwrap().as_str(), "v1");
    assert_eq!(models.load_profile(&worse.version).unwrap(), None);

    let forced = PromotionPolicy {
        force: true,
        ..PromotionPolicy::default()
    };
    models
        .publish(with_auc(trained("v3"), 0.5), None, &forced)
        .unwrap();
    let current = models.load_current().unwrap().unwrap();
    assert_eq!(current.artifact().version.as_str(), "v3");
    let names: Vec<String> = models
        .versions()
        .unwrap()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    assert_eq!(names, ["v1", "v2", "v3"]);

    // Another store on the same database (another replica) sees the same registry.
    let other = db.open();
    assert_eq!(
        other.models().current_version().unwrap().unwrap().as_str(),
        "v3"
    );
}

#[test]
fn a_version_is_published_once_and_an_invalid_one_not_at_all() {
    const TEST: &str = "a_version_is_published_once_and_an_invalid_one_not_at_all";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let models = store.models();
    let policy = PromotionPolicy::default();
    models.publish(trained("v1"), None, &policy).unwrap();
    let err = models.publish(trained("v1"), None, &policy).unwrap_err();
    assert!(
        matches!(&err, RegistryError::Exists(v) if v.as_str() == "v1"),
        "{err:?}"
    );

    let mut broken = trained("v2");
    broken.coefficients.weights.pop();
    let err = models.publish(broken, None, &policy).unwrap_err();
    assert!(
        matches!(err, RegistryError::Unpublishable { .. }),
        "{err:?}"
    );
    assert_eq!(models.versions().unwrap().len(), 1);
    assert_eq!(models.current_version().unwrap().unwrap().as_str(), "v1");
}

#[test]
fn a_missing_version_is_not_found_and_a_corrupt_current_model_is_replaced() {
    const TEST: &str = "a_missing_version_is_not_found_and_a_corrupt_current_model_is_replaced";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let models = store.models();
    let err = models.load(&"nope".parse().unwrap()).unwrap_err();
    assert!(
        matches!(&err, RegistryError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "models/nope: read failed");

    models
        .publish(
            with_auc(trained("v1"), 0.99),
            None,
            &PromotionPolicy::default(),
        )
        .unwrap();
    // Damaged in the database: a weight too few for its schema.
    execute(
        &db.url,
        "UPDATE models SET artifact = jsonb_set(artifact, '{coefficients,weights}',
             (artifact #> '{coefficients,weights}') - 0)",
    )
    .unwrap();
    let err = models.load_current().unwrap_err();
    assert!(matches!(err, RegistryError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().starts_with("models/v1:"), "{err}");

    // A worse model replaces it anyway: the current one could never be served.
    let replacement = models
        .publish(
            with_auc(trained("v2"), 0.6),
            None,
            &PromotionPolicy::default(),
        )
        .unwrap();
    let decision = replacement.promotion.unwrap();
    assert!(decision.promoted);
    assert!(
        decision.reason.contains("does not load"),
        "{}",
        decision.reason
    );
    assert_eq!(models.current_version().unwrap().unwrap().as_str(), "v2");
}

#[test]
fn two_publishers_at_once_decide_one_after_the_other() {
    const TEST: &str = "two_publishers_at_once_decide_one_after_the_other";
    let Some(db) = TestDb::new(TEST) else { return };
    // Two stores with pools of their own: two replicas publishing into an empty registry.
    let stores = [db.open(), db.open()];
    let candidates = [with_auc(trained("a"), 0.80), with_auc(trained("b"), 0.80)];
    for round in 0..5 {
        execute(&db.url, "DELETE FROM model_current").unwrap();
        execute(&db.url, "DELETE FROM models").unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let published: Vec<ModelArtifact> = std::thread::scope(|scope| {
            let handles: Vec<_> = stores
                .iter()
                .zip(candidates.clone())
                .map(|(store, candidate)| {
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        let models = store.models();
                        barrier.wait();
                        models
                            .publish(candidate, None, &PromotionPolicy::default())
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Both are promoted (equal AUCs are within the tolerance), but not both as the
        // first model: exactly one was decided against the other.
        let previous: Vec<Option<&str>> = published
            .iter()
            .map(|a| a.promotion.as_ref().unwrap().previous.as_deref())
            .collect();
        assert_eq!(
            previous.iter().filter(|p| p.is_none()).count(),
            1,
            "round {round}: {previous:?}"
        );
        let second = published
            .iter()
            .find(|a| a.promotion.as_ref().unwrap().previous.is_some())
            .unwrap();
        assert_eq!(
            stores[0].models().current_version().unwrap().unwrap(),
            second.version,
            "round {round}"
        );
    }
}
