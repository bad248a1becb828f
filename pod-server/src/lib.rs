//! `op-pod`: a Solid-like pod server over embedded storage.

pub mod pod;
pub mod store;
