//! The integration tests live in `it/`; this library target is empty so the package has a root.
