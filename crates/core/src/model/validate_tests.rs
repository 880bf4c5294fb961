//! Issue 13, "validate model files": one test per kind of invalid `model.json`. Each takes
//! a really trained model, corrupts its JSON in one place, loads it through the registry
//! and asserts the exact error, so removing the check it covers makes it fail: the file
//! then loads, or a later check reports another field.
//!
//! JSON cannot hold NaN or infinity (`serde_json` refuses to read `1e999`), so non-finite
//! values are tested on the artifact itself, as training or a caller could produce them.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Value, json};

use super::tests::trained;
use super::*;
use crate::records::FeatureKind;
use crate::store::{MODEL_FILE, ModelRegistry, ModelStore, RegistryError};

/// The JSON of a model trained on 500 generated rows (once per test binary).
fn trained_json() -> &'static Value {
    static JSON: OnceLock<Value> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_value(trained(500).0).unwrap())
}

fn artifact() -> ModelArtifact {
    serde_json::from_value(trained_json().clone()).unwrap()
}

/// Writes `json` as the `model.json` of version `v1` in a fresh registry and loads it.
fn load(json: &Value) -> (tempfile::TempDir, PathBuf, Result<Model, RegistryError>) {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::new(dir.path().join("models"), dir.path().join("tmp"));
    let version: ModelVersion = "v1".parse().unwrap();
    let path = registry.version_dir(&version).join(MODEL_FILE);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_vec_pretty(json).unwrap()).unwrap();
    let loaded = registry.load(&version);
    (dir, path, loaded)
}

/// The error of loading the trained model after `corrupt`; checks it names the file.
fn invalid_after(corrupt: impl FnOnce(&mut Value)) -> InvalidModel {
    let mut json = trained_json().clone();
    corrupt(&mut json);
    match load(&json) {
        (
            _dir,
            path,
            Err(RegistryError::Invalid {
                path: named,
                source,
            }),
        ) => {
            assert_eq!(named, path);
            source
        }
        (_, _, other) => panic!("expected an invalid model, got {other:?}"),
    }
}

/// The full message of an error and its causes, as `scorewatch` prints it.
fn chain(err: &dyn std::error::Error) -> String {
    crate::error_chain::error_chain(err)
}

/// Index of the first transform matching `pick`.
fn transform_where(json: &Value, pick: impl Fn(&Value) -> bool) -> usize {
    json["preprocessing"]["transforms"]
        .as_array()
        .unwrap()
        .iter()
        .position(pick)
        .expect("the trained model has such a transform")
}

/// Index of the first design-matrix column of transform `t`.
fn first_column(json: &Value, t: usize) -> usize {
    let model = serde_json::from_value::<ModelArtifact>(json.clone()).unwrap();
    model.preprocessing.transforms[..t]
        .iter()
        .map(FeatureTransform::width)
        .sum()
}

fn weight_count(json: &Value) -> usize {
    json["coefficients"]["weights"].as_array().unwrap().len()
}

fn is_categorical(t: &Value) -> bool {
    t["kind"] == "categorical" && t["categories"].as_array().unwrap().len() >= 2
}

#[test]
fn the_trained_model_loads_before_any_corruption() {
    let (_dir, _, loaded) = load(trained_json());
    let model = loaded.unwrap();
    assert_eq!(
        model.artifact().coefficients.weights.len(),
        model.artifact().preprocessing.width()
    );
    // The cases below need a missing indicator and a categorical feature to corrupt.
    transform_where(trained_json(), |t| t["missing_indicator"] == true);
    transform_where(trained_json(), is_categorical);
}

#[test]
fn weights_shorter_than_the_design_columns_name_file_and_field() {
    let mut json = trained_json().clone();
    let n = weight_count(&json);
    json["coefficients"]["weights"]
        .as_array_mut()
        .unwrap()
        .pop();
    let (_dir, path, loaded) = load(&json);
    let err = loaded.unwrap_err();
    assert_eq!(
        chain(&err),
        format!(
            "{}: invalid model: coefficients.weights has {} values but the preprocessing makes {n} columns",
            path.display(),
            n - 1
        )
    );
    assert!(matches!(
        err,
        RegistryError::Invalid { source: InvalidModel::WeightCount { found, expected }, .. }
            if found == n - 1 && expected == n
    ));
}

#[test]
fn weights_longer_than_the_design_columns() {
    let n = weight_count(trained_json());
    let err = invalid_after(|json| {
        json["coefficients"]["weights"]
            .as_array_mut()
            .unwrap()
            .push(json!(0.5));
    });
    assert_eq!(
        err,
        InvalidModel::WeightCount {
            found: n + 1,
            expected: n
        }
    );
}

#[test]
fn a_missing_indicator_column_counts_in_the_design_width() {
    let n = weight_count(trained_json());
    let err = invalid_after(|json| {
        let t = transform_where(json, |t| t["missing_indicator"] == true);
        json["preprocessing"]["transforms"][t]["missing_indicator"] = json!(false);
    });
    assert_eq!(
        err,
        InvalidModel::WeightCount {
            found: n,
            expected: n - 1
        }
    );
}

#[test]
fn one_hot_columns_count_in_the_design_width() {
    let n = weight_count(trained_json());
    let err = invalid_after(|json| {
        let t = transform_where(json, is_categorical);
        json["preprocessing"]["transforms"][t]["categories"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert_eq!(
        err,
        InvalidModel::WeightCount {
            found: n,
            expected: n - 1
        }
    );
}

#[test]
fn non_finite_intercept_or_weight_is_refused() {
    let mut model = artifact();
    model.coefficients.intercept = f64::NAN;
    let err = Model::new(model).unwrap_err();
    assert!(
        matches!(err, InvalidModel::Intercept(v) if v.is_nan()),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "coefficients.intercept is NaN, not a finite number"
    );

    let mut model = artifact();
    model.coefficients.weights[3] = f64::INFINITY;
    let column = model.coefficients.columns[3].clone();
    assert_eq!(
        Model::new(model).unwrap_err(),
        InvalidModel::Weight {
            index: 3,
            column,
            value: f64::INFINITY
        }
    );
}

#[test]
fn a_zero_or_negative_scale_is_refused() {
    for bad in [0.0, -1.5] {
        let mut index = 0;
        let mut name = String::new();
        let err = invalid_after(|json| {
            index = transform_where(json, |t| t["kind"] == "numeric");
            let transform = &mut json["preprocessing"]["transforms"][index];
            name = transform["name"].as_str().unwrap().to_owned();
            transform["scale"] = json!(bad);
        });
        assert_eq!(
            err,
            InvalidModel::Standardisation {
                index,
                name: name.clone(),
                field: "scale",
                value: bad,
                rule: "a finite number greater than 0"
            }
        );
    }
}

#[test]
fn a_non_finite_scale_mean_or_median_is_refused() {
    for (field, value) in [
        ("scale", f64::INFINITY),
        ("mean", f64::NEG_INFINITY),
        ("median", f64::NAN),
    ] {
        let mut model = artifact();
        let FeatureTransform::Numeric {
            name,
            median,
            mean,
            scale,
            ..
        } = &mut model.preprocessing.transforms[0]
        else {
            panic!("the first sample feature is numeric")
        };
        let name = name.clone();
        *match field {
            "scale" => scale,
            "mean" => mean,
            _ => median,
        } = value;
        let err = Model::new(model).unwrap_err();
        assert!(
            matches!(
                &err,
                InvalidModel::Standardisation { index: 0, name: n, field: f, value: v, .. }
                    if *n == name && *f == field && v.to_bits() == value.to_bits()
            ),
            "{field}: {err}"
        );
    }
}

#[test]
fn a_weight_that_overflows_its_standardisation_is_refused() {
    // Each number is finite, but weight / scale is not: 1e10 / 1e-300 > f64::MAX.
    let mut index = 0;
    let mut transform = 0;
    let mut column = String::new();
    let err = invalid_after(|json| {
        transform = transform_where(json, |t| t["kind"] == "numeric");
        let t = transform;
        index = first_column(json, t);
        json["preprocessing"]["transforms"][t]["scale"] = json!(1e-300);
        json["coefficients"]["weights"][index] = json!(1e10);
        column = json["coefficients"]["columns"][index]
            .as_str()
            .unwrap()
            .to_owned();
    });
    assert_eq!(
        err,
        InvalidModel::Overflow {
            index,
            column,
            transform
        }
    );
}

#[test]
fn a_renamed_schema_feature_does_not_match_its_transform() {
    let err = invalid_after(|json| {
        json["schema"]["features"][1]["name"] = json!("renamed");
    });
    let expected_name = trained_json()["schema"]["features"][1]["name"].as_str();
    assert_eq!(
        err,
        InvalidModel::TransformName {
            index: 1,
            schema: "renamed".to_owned(),
            transform: expected_name.unwrap().to_owned()
        }
    );
}

#[test]
fn schema_features_in_another_order_do_not_match_the_transforms() {
    let features = &trained_json()["schema"]["features"];
    let err = invalid_after(|json| {
        json["schema"]["features"]
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
    });
    assert_eq!(
        err,
        InvalidModel::TransformName {
            index: 0,
            schema: features[1]["name"].as_str().unwrap().to_owned(),
            transform: features[0]["name"].as_str().unwrap().to_owned(),
        }
    );
}

#[test]
fn a_schema_kind_that_differs_from_its_transform_is_refused() {
    let err = invalid_after(|json| {
        json["schema"]["features"][0]["kind"] = json!("categorical");
    });
    assert_eq!(
        err,
        InvalidModel::TransformKind {
            index: 0,
            name: trained_json()["schema"]["features"][0]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
            schema: FeatureKind::Categorical,
            transform: FeatureKind::Numeric,
        }
    );
    assert!(
        err.to_string()
            .ends_with("is numeric but schema.features[0] is categorical"),
        "{err}"
    );
}

#[test]
fn a_schema_feature_without_a_transform_is_refused() {
    let features = trained_json()["schema"]["features"]
        .as_array()
        .unwrap()
        .len();
    let err = invalid_after(|json| {
        json["schema"]["features"].as_array_mut().unwrap().pop();
    });
    assert_eq!(
        err,
        InvalidModel::TransformCount {
            schema: features - 1,
            transforms: features
        }
    );
}

#[test]
fn a_feature_named_twice_is_refused() {
    // Renamed consistently everywhere, so that only the duplicate check can see it.
    let first = trained_json()["schema"]["features"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let err = invalid_after(|json| {
        let second = json["schema"]["features"][1]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        json["schema"]["features"][1]["name"] = json!(first);
        json["preprocessing"]["transforms"][1]["name"] = json!(first);
        for column in json["coefficients"]["columns"].as_array_mut().unwrap() {
            let renamed = column.as_str().unwrap().replacen(&second, &first, 1);
            *column = json!(renamed);
        }
    });
    assert_eq!(
        err,
        InvalidModel::DuplicateFeature {
            index: 1,
            name: first
        }
    );
}

#[test]
fn a_target_that_is_also_a_feature_is_refused() {
    let first = trained_json()["schema"]["features"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let err = invalid_after(|json| {
        json["schema"]["target"]["column"] = json!(first);
    });
    assert_eq!(err, InvalidModel::TargetIsFeature(first));
}

#[test]
fn categories_out_of_order_are_refused_even_with_matching_columns() {
    // Categories, their column names and their weights swapped together: a consistent
    // file, but the design matrix finds categories by binary search, so it would score
    // these rows differently from the fast scorer.
    let mut before = String::new();
    let mut after = String::new();
    let mut index = 0;
    let err = invalid_after(|json| {
        index = transform_where(json, is_categorical);
        let column = first_column(json, index);
        let categories = json["preprocessing"]["transforms"][index]["categories"]
            .as_array_mut()
            .unwrap();
        categories.swap(0, 1);
        before = categories[0].as_str().unwrap().to_owned();
        after = categories[1].as_str().unwrap().to_owned();
        for field in ["columns", "weights"] {
            json["coefficients"][field]
                .as_array_mut()
                .unwrap()
                .swap(column, column + 1);
        }
    });
    let name = trained_json()["preprocessing"]["transforms"][index]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        err,
        InvalidModel::Categories {
            index,
            name,
            before,
            after
        }
    );
}

#[test]
fn a_category_listed_twice_is_refused() {
    let mut index = 0;
    let mut duplicate = String::new();
    let err = invalid_after(|json| {
        index = transform_where(json, is_categorical);
        let column = first_column(json, index);
        let transform = &mut json["preprocessing"]["transforms"][index];
        let name = transform["name"].as_str().unwrap().to_owned();
        duplicate = transform["categories"][0].as_str().unwrap().to_owned();
        transform["categories"][1] = json!(duplicate);
        json["coefficients"]["columns"][column + 1] = json!(format!("{name}={duplicate}"));
    });
    assert!(
        matches!(&err, InvalidModel::Categories { index: i, before, after, .. }
            if *i == index && *before == duplicate && *after == duplicate),
        "{err}"
    );
}

#[test]
fn column_names_in_another_order_than_the_preprocessing_are_refused() {
    // Weights fitted on another column order: every count fits, only the names tell.
    let columns = &trained_json()["coefficients"]["columns"];
    let err = invalid_after(|json| {
        json["coefficients"]["columns"]
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
    });
    assert_eq!(
        err,
        InvalidModel::ColumnName {
            index: 0,
            found: columns[1].as_str().unwrap().to_owned(),
            expected: columns[0].as_str().unwrap().to_owned(),
        }
    );
}

#[test]
fn column_names_fewer_than_the_weights_are_refused() {
    let n = weight_count(trained_json());
    let err = invalid_after(|json| {
        json["coefficients"]["columns"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert_eq!(
        err,
        InvalidModel::ColumnCount {
            found: n - 1,
            expected: n
        }
    );
}

#[test]
fn a_threshold_outside_zero_one_is_refused() {
    for bad in [0.0, 1.0, -0.25, 1.5] {
        let err = invalid_after(|json| json["threshold"] = json!(bad));
        assert_eq!(err, InvalidModel::Threshold(bad));
    }
    let mut model = artifact();
    model.threshold = f64::NAN;
    assert!(matches!(
        Model::new(model),
        Err(InvalidModel::Threshold(v)) if v.is_nan()
    ));
}

#[test]
fn an_unknown_format_version_is_named_even_when_the_rest_does_not_parse() {
    let err = invalid_after(|json| json["format_version"] = json!(2));
    assert_eq!(err, InvalidModel::FormatVersion { found: 2 });
    // A future format likely changes the fields too: still named by its version.
    let err = invalid_after(|json| {
        json["format_version"] = json!(7);
        json.as_object_mut().unwrap().remove("coefficients");
    });
    assert_eq!(err, InvalidModel::FormatVersion { found: 7 });
    assert_eq!(
        err.to_string(),
        "format_version is 7, but this build reads only version 1"
    );
    // The current version with a field missing is a parse error, naming the file.
    let mut json = trained_json().clone();
    json.as_object_mut().unwrap().remove("coefficients");
    let (_dir, path, loaded) = load(&json);
    let err = loaded.unwrap_err();
    assert!(matches!(err, RegistryError::Parse { .. }), "{err:?}");
    assert!(chain(&err).starts_with(&path.display().to_string()));
}

#[test]
fn publish_refuses_an_invalid_model_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let registry = ModelRegistry::new(&models, dir.path().join("tmp"));
    let mut model = artifact();
    model.coefficients.weights.pop();
    let version = model.version.clone();
    let err = registry
        .publish(model, None, &PromotionPolicy::default())
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Unpublishable { version: v, source: InvalidModel::WeightCount { .. } } if *v == version),
        "{err:?}"
    );
    assert!(
        chain(&err).contains("coefficients.weights has"),
        "{}",
        chain(&err)
    );
    assert!(!registry.version_dir(&version).exists());
    assert_eq!(registry.current_version().unwrap(), None);
}

#[test]
fn publish_replaces_a_current_model_that_does_not_validate() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::new(dir.path().join("models"), dir.path().join("tmp"));
    let first = registry
        .publish(artifact(), None, &PromotionPolicy::default())
        .unwrap();
    let path = registry.version_dir(&first.version).join(MODEL_FILE);
    let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["coefficients"]["weights"]
        .as_array_mut()
        .unwrap()
        .pop();
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(matches!(
        registry.load_current(),
        Err(RegistryError::Invalid { .. })
    ));

    // Far worse than the broken model's recorded AUC, and not forced: promoted anyway,
    // because the broken model can never be served.
    let mut second = artifact();
    second.version = "second".parse().unwrap();
    second.validation_metrics.roc_auc = Some(0.5);
    let second = registry
        .publish(second, None, &PromotionPolicy::default())
        .unwrap();
    let promotion = second.promotion.unwrap();
    assert!(promotion.promoted);
    assert!(
        promotion.reason.starts_with(&format!(
            "current model {} does not load: coefficients.weights has",
            first.version
        )),
        "{}",
        promotion.reason
    );
    assert_eq!(
        registry
            .load_current()
            .unwrap()
            .unwrap()
            .artifact()
            .version
            .as_str(),
        "second"
    );
}

#[test]
fn a_trained_model_carries_a_checked_calibrator_fitted_on_its_validation_split() {
    let model = artifact();
    let validation = model.validation_scores.as_ref().expect("validation scores");
    assert_eq!(validation.scores.len() as u64, model.validation_rows);
    assert_eq!(validation.labels.len(), validation.scores.len());
    let calibrator = model.calibrator.as_ref().expect("a calibrator");
    assert_eq!(calibrator.check(), Ok(()));
    assert_eq!(
        *calibrator,
        crate::estimate::IsotonicCalibrator::fit(&validation.scores, &validation.labels).unwrap()
    );
    // The stored calibrator survives the registry's load (serde_json may read a float
    // back one unit in the last place off, as for the weights).
    let (_dir, _path, loaded) = load(trained_json());
    let loaded = loaded.unwrap();
    let loaded = loaded.artifact().calibrator.as_ref().unwrap();
    for score in [0.0, 0.05, 0.3, 0.6, 1.0] {
        assert!((loaded.predict(score) - calibrator.predict(score)).abs() < 1e-12);
    }
}

#[test]
fn a_model_file_from_before_calibration_still_loads() {
    let mut json = trained_json().clone();
    let object = json.as_object_mut().unwrap();
    object.remove("calibrator");
    object.remove("validation_scores");
    let (_dir, _path, loaded) = load(&json);
    let model = loaded.expect("an old model loads");
    assert!(model.artifact().calibrator.is_none());
    assert!(model.artifact().validation_scores.is_none());
}

#[test]
fn a_decreasing_calibrator_is_a_load_error_naming_the_field() {
    let err = invalid_after(|json| {
        let probabilities = json["calibrator"]["probabilities"].as_array_mut().unwrap();
        let last = probabilities.len() - 1;
        probabilities[last] = json!(-0.0);
        probabilities[0] = json!(0.9);
    });
    let text = err.to_string();
    assert!(
        text.starts_with("calibrator.probabilities[") && text.contains("must not decrease"),
        "{text}"
    );
}

#[test]
fn a_calibrator_value_outside_the_unit_interval_is_a_load_error() {
    let err = invalid_after(|json| json["calibrator"]["probabilities"][0] = json!(1.5));
    assert_eq!(
        err.to_string(),
        "calibrator.probabilities[0] is 1.5, not a probability in [0, 1]"
    );
}

#[test]
fn validation_scores_need_one_label_per_score() {
    let err = invalid_after(|json| {
        json["validation_scores"]["labels"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert!(
        err.to_string().starts_with("validation_scores.scores has "),
        "{err}"
    );
}
