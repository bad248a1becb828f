//! The pod domain: resources, containers, RDF, N3 Patch and the operations that change them.

pub mod audit;
pub mod conditions;
pub mod error;
pub mod link;
pub mod log;
pub mod model;
pub mod ops;
pub mod patch;
pub mod pods;
pub mod profile;
pub mod rdf;
pub mod work;
