//! The model store: published model versions, their reference profiles and which one is
//! current. The file backend is [`ModelRegistry`](super::ModelRegistry) (`data/models/`).

use std::fmt::Debug;

use super::model_registry::RegistryError;
use crate::drift::ReferenceProfile;
use crate::model::{Model, ModelArtifact, ModelVersion, PromotionPolicy};

/// Published models. Every model that loads has validated: an artifact whose parts do not
/// fit together is an error naming where it is kept and the field at fault.
///
/// Calls block; a networked backend runs them on its own runtime, so that core needs
/// none.
pub trait ModelStore: Send + Sync + Debug {
    /// The current version, `None` before the first promotion.
    ///
    /// # Errors
    /// When the pointer cannot be read or holds an invalid name.
    fn current_version(&self) -> Result<Option<ModelVersion>, RegistryError>;

    /// Loads and validates one version.
    ///
    /// # Errors
    /// When it cannot be read, parsed or validated.
    fn load(&self, version: &ModelVersion) -> Result<Model, RegistryError>;

    /// The drift reference profile published with `version`, validated; `None` when the
    /// version was published without one.
    ///
    /// # Errors
    /// When it cannot be read, parsed or validated.
    fn load_profile(
        &self,
        version: &ModelVersion,
    ) -> Result<Option<ReferenceProfile>, RegistryError>;

    /// Every published version, oldest first.
    ///
    /// # Errors
    /// When the versions cannot be listed.
    fn versions(&self) -> Result<Vec<ModelVersion>, RegistryError>;

    /// Validates `artifact`, decides its promotion against the current model under
    /// `policy`, keeps it with its `profile`, and makes it current when promoted. On
    /// error the current model is unchanged.
    ///
    /// # Errors
    /// [`RegistryError::Unpublishable`] before anything is kept; other errors of the
    /// backend.
    fn publish(
        &self,
        artifact: ModelArtifact,
        profile: Option<&ReferenceProfile>,
        policy: &PromotionPolicy,
    ) -> Result<ModelArtifact, RegistryError>;

    /// The current model, `None` before the first promotion.
    ///
    /// # Errors
    /// As [`ModelStore::current_version`] and [`ModelStore::load`].
    fn load_current(&self) -> Result<Option<Model>, RegistryError> {
        self.current_version()?
            .map(|version| self.load(&version))
            .transpose()
    }
}
