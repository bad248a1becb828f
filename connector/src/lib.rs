//! `op-connector`: what platforms and matchers integrate — today the record tooling behind `opctl`.
//!
//! The record model, signing and verification live in [`op_protocol::record`]; this crate adds
//! what a command line needs around them: reading records in the forms platforms hand them over
//! ([`batch`]), and talking to a hub ([`hub`]: platforms' controller documents, key registration).
//! OAuth client flows and pod access are the next issue.
#![deny(missing_docs)]

pub mod batch;
pub mod error;
pub mod hub;
pub mod oauth;
pub mod platform;
pub mod pod;
pub mod session;
pub mod tokens;
pub mod verify;

pub use op_protocol as protocol;
