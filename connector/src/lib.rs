//! `op-connector`: what platforms and matchers integrate.
//!
//! The OAuth client side ([`oauth`], [`session`], [`tokens`]), the worker's pod ([`pod`]), the
//! hub ([`hub`]), signing an export ([`platform`]) and verifying what was read ([`verify`]). The
//! record model, signing and verification themselves live in [`op_protocol::record`].
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod batch;
pub mod error;
pub mod hub;
pub mod oauth;
pub mod platform;
pub mod pod;
pub mod session;
pub mod summary;
pub mod sync;
pub mod tokens;
pub mod verify;

pub use op_protocol as protocol;
