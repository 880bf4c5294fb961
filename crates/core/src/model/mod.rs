//! The scoring model.
