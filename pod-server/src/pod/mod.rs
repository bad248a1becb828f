//! The pod domain: resources, containers, RDF, N3 Patch and the operations that change them.

pub mod rdf;
