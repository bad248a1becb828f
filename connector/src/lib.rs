//! `op-connector`: the library platforms and matchers integrate (issue "The connector"). Not built yet.
//!
//! Today it only re-exports the protocol contract that it will be built on.
#![deny(missing_docs)]

pub use op_protocol as protocol;
