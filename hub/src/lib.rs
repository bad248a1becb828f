//! `op-hub`: the authorization server (issue "The hub"). Not built yet: this crate holds no functionality.
//!
//! The hub will issue the access tokens that pods verify; until it exists, pods trust static
//! signing keys named in their configuration (see `docs/POD.md`).
