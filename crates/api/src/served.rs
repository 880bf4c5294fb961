//! The model requests are scored with: swapped as a whole when a run promotes a new one.

use std::sync::{Arc, Mutex, PoisonError};

use scorewatch_core::{
    FeatureKind, IssueKind, Model, ModelStore, MonitorError, QualityChecker, ReferenceProfile,
    Store, TrainingReference,
};

use crate::feature_issues::{FeatureIssues, IssueCounts};

/// The model requests are scored with, with what is derived from it once.
#[derive(Debug)]
pub struct Served {
    /// The model.
    pub model: Model,
    /// Its version.
    pub version: String,
    /// Feature names in schema order (the log's columns).
    pub features: Vec<String>,
    /// Its drift reference profile, when the version has one.
    pub profile: Option<Arc<ReferenceProfile>>,
    /// Checks each application against the profile (for missing values only when the
    /// version has no profile); built once here so a request only compares.
    pub quality: QualityChecker,
    /// The issue counters of `features`, in schema order: the server's, once
    /// [`Served::count_issues_in`] attached them; until then issues are not counted.
    issue_counts: Vec<Arc<IssueCounts>>,
    /// The training set scored by the model, the reference of per-segment drift: loaded
    /// on the first segmented request and kept, since it costs a parse and a score per
    /// row. A failed load is not kept, so a restored training set is picked up.
    training: Mutex<Option<Arc<TrainingReference>>>,
}

impl Served {
    /// Loads the current model of `models` with its reference profile, `None` before the
    /// first promotion.
    ///
    /// # Errors
    /// When the pointer, the artifact or the profile cannot be read or parsed, or does not
    /// validate (the error names the file and the field).
    pub fn load_current(models: &dyn ModelStore) -> anyhow::Result<Option<Self>> {
        let Some(version) = models.current_version()? else {
            return Ok(None);
        };
        let model = models.load(&version)?;
        let profile = models.load_profile(&version)?.map(Arc::new);
        Ok(Some(Self::new(model, profile)))
    }

    /// Wraps a model and its profile.
    #[must_use]
    pub fn new(model: Model, profile: Option<Arc<ReferenceProfile>>) -> Self {
        let features: Vec<String> = model.artifact().schema.names().map(str::to_owned).collect();
        let no_profile = ReferenceProfile {
            rows: 0,
            features: Vec::new(),
            score: None,
        };
        let quality = QualityChecker::new(
            profile.as_deref().unwrap_or(&no_profile),
            features.iter().map(String::as_str),
        );
        Self {
            version: model.artifact().version.to_string(),
            model,
            features,
            profile,
            quality,
            issue_counts: Vec::new(),
            training: Mutex::new(None),
        }
    }

    /// Counts this model's data-quality issues in `issues` (the server's counters, by
    /// feature name), from now on.
    #[must_use]
    pub fn count_issues_in(mut self, issues: &FeatureIssues) -> Self {
        self.issue_counts = issues.counters_for(&self.features);
        self
    }

    /// Adds the issues of served predictions, as `(feature index, kind)` pairs from
    /// [`QualityChecker::check`]: atomic adds, no lock.
    pub fn record_issues(&self, issues: &[(usize, IssueKind)]) {
        for &(feature, kind) in issues {
            if let Some(counts) = self.issue_counts.get(feature) {
                counts.add(kind);
            }
        }
    }

    /// The per-segment reference of this model (see the field), loaded once.
    ///
    /// # Errors
    /// As [`TrainingReference::load`].
    pub fn training_reference(
        &self,
        store: &Store,
    ) -> Result<Arc<TrainingReference>, MonitorError> {
        // Held while loading: concurrent first requests wait for one load, not run many.
        let mut slot = self.training.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(training) = slot.as_ref() {
            return Ok(Arc::clone(training));
        }
        let training = Arc::new(TrainingReference::load(store, &self.model)?);
        *slot = Some(Arc::clone(&training));
        Ok(training)
    }

    /// The kind of a feature by name.
    #[must_use]
    pub fn kind(&self, name: &str) -> Option<FeatureKind> {
        let schema = &self.model.artifact().schema;
        schema.position(name).map(|i| schema.features[i].kind)
    }
}
