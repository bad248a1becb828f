//! Vocabulary IRIs used by the pod server and the records.

/// `rdf:type`.
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// Linked Data Platform terms (<https://www.w3.org/TR/ldp/>).
pub mod ldp {
    /// The LDP namespace.
    pub const NS: &str = "http://www.w3.org/ns/ldp#";
    /// `ldp:Resource`.
    pub const RESOURCE: &str = "http://www.w3.org/ns/ldp#Resource";
    /// `ldp:RDFSource`.
    pub const RDF_SOURCE: &str = "http://www.w3.org/ns/ldp#RDFSource";
    /// `ldp:NonRDFSource`.
    pub const NON_RDF_SOURCE: &str = "http://www.w3.org/ns/ldp#NonRDFSource";
    /// `ldp:Container`.
    pub const CONTAINER: &str = "http://www.w3.org/ns/ldp#Container";
    /// `ldp:BasicContainer`.
    pub const BASIC_CONTAINER: &str = "http://www.w3.org/ns/ldp#BasicContainer";
    /// `ldp:contains`: containment triples, maintained by the server only.
    pub const CONTAINS: &str = "http://www.w3.org/ns/ldp#contains";
}

/// PIM storage terms.
pub mod pim {
    /// `pim:Storage`: the type of a pod's storage root.
    pub const STORAGE: &str = "http://www.w3.org/ns/pim/space#Storage";
    /// `pim:storage`: links a WebID to its storage root.
    pub const STORAGE_PROP: &str = "http://www.w3.org/ns/pim/space#storage";
}

/// Solid terms.
pub mod solid {
    /// The Solid terms namespace.
    pub const NS: &str = "http://www.w3.org/ns/solid/terms#";
    /// `solid:oidcIssuer`: an issuer trusted to authenticate this WebID.
    pub const OIDC_ISSUER: &str = "http://www.w3.org/ns/solid/terms#oidcIssuer";
    /// `solid:oidcIssuerRegistrationToken`: a code a provider asked to see in the profile, to
    /// know the WebID is the person's who links it there.
    pub const OIDC_ISSUER_REGISTRATION_TOKEN: &str =
        "http://www.w3.org/ns/solid/terms#oidcIssuerRegistrationToken";
    /// `solid:InsertDeletePatch`: the type of an N3 Patch document.
    pub const INSERT_DELETE_PATCH: &str = "http://www.w3.org/ns/solid/terms#InsertDeletePatch";
    /// `solid:storageDescription`: link relation to a storage description resource.
    pub const STORAGE_DESCRIPTION: &str = "http://www.w3.org/ns/solid/terms#storageDescription";
}

/// FOAF terms.
pub mod foaf {
    /// `foaf:Person`.
    pub const PERSON: &str = "http://xmlns.com/foaf/0.1/Person";
    /// `foaf:PersonalProfileDocument`.
    pub const PERSONAL_PROFILE_DOCUMENT: &str = "http://xmlns.com/foaf/0.1/PersonalProfileDocument";
    /// `foaf:primaryTopic`.
    pub const PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";
    /// `foaf:maker`.
    pub const MAKER: &str = "http://xmlns.com/foaf/0.1/maker";
}

/// schema.org terms.
pub mod schema {
    /// `schema:Person`.
    pub const PERSON: &str = "https://schema.org/Person";
}

/// Dublin Core terms.
pub mod dcterms {
    /// `dcterms:modified`.
    pub const MODIFIED: &str = "http://purl.org/dc/terms/modified";
}

/// XML Schema datatypes.
pub mod xsd {
    /// `xsd:dateTime`.
    pub const DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
}
