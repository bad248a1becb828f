//! `op-hub`: the OAuth 2.1 / OpenID Connect authorization server where workers, platforms and
//! matchers meet: accounts, the client registry, consent, grants, tokens and revocation.

pub mod account;
pub mod assertion;
pub mod authorize;
pub mod backpack;
pub mod cli;
pub mod client;
pub mod client_document;
pub mod config;
pub mod dpop;
pub mod export;
pub mod grant;
pub mod http;
pub mod i18n;
pub mod keys;
pub mod link;
pub mod oauth_error;
pub mod outbound;
pub mod platform;
pub mod pod_files;
pub mod provider;
pub mod proxy;
pub mod purge;
pub mod secret;
pub mod server;
pub mod session;
pub mod solid;
pub mod state;
pub mod status_lists;
pub mod table;
pub mod throttle;
pub mod token;
pub mod upstream;
pub mod upstream_token;

pub use server::{RunningHub, StartError, start};
