//! `op-pod`: a Solid-like pod server over embedded storage.

pub mod auth;
pub mod cli;
pub mod config;
pub mod http;
pub mod pod;
pub mod server;

pub use op_store as store;
pub use server::{RunningPod, StartError, start, start_on};
