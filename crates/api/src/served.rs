//! The model requests are scored with: swapped as a whole when a run promotes a new one.

use std::sync::{Arc, Mutex, PoisonError};

use scorewatch_core::{
    FeatureKind, Model, ModelStore, MonitorError, ReferenceProfile, Store, TrainingReference,
};

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
        let features = model.artifact().schema.names().map(str::to_owned).collect();
        Self {
            version: model.artifact().version.to_string(),
            model,
            features,
            profile,
            training: Mutex::new(None),
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
