//! `op-protocol`: the contract shared by every Open Platforms component — no I/O lives here.
//!
//! The hub, the pod server, the connector and the tests all take route paths, resource paths,
//! scopes, token claims, vocabulary IRIs and time from this crate, so that a change to the
//! protocol is a change in one place.
#![deny(missing_docs)]

pub mod access;
pub mod authorization;
pub mod bounded;
pub mod clock;
pub mod container;
pub mod contexts;
pub mod datetime;
pub mod dpop;
pub mod iri;
pub mod media;
pub mod net;
pub mod path;
pub mod proof;
pub mod record;
pub mod revocation;
pub mod routes;
pub mod scope;
pub mod status;
pub mod token;
pub mod vocab;
pub mod webid;
