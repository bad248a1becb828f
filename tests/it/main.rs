//! The one integration-test binary: real servers on 127.0.0.1:0, real HTTP.

mod browser;
mod connector_flow;
mod harness;
mod hub_abuse;
mod hub_assertion;
mod hub_dpop;
mod hub_oauth;
mod hub_revoke;
mod independent_clients;
mod operator_cli;
mod pod_access;
mod pod_bounds;
mod pod_crash;
mod pod_feed;
mod pod_hub;
mod pod_isolation;
mod pod_limits;
mod pod_link;
mod pod_log;
mod pod_resources;
mod pod_solid;
mod records_flow;
mod records_status;
mod records_verdict;
mod stack;
mod tidy;
