//! The model requests are scored with: swapped as a whole when a run promotes a new one.

use std::sync::Arc;

use scorewatch_core::{FeatureKind, Model, ModelStore, ReferenceProfile};

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
        }
    }

    /// The kind of a feature by name.
    #[must_use]
    pub fn kind(&self, name: &str) -> Option<FeatureKind> {
        let schema = &self.model.artifact().schema;
        schema.position(name).map(|i| schema.features[i].kind)
    }
}
