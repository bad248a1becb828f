//! The IRIs records use: schema.org, Open Badges 3.0, VC 2.0, and the few `gig:` terms we minted.
//!
//! `protocol/contexts/w3id.org/openplatforms/gig/v1.jsonld` maps each short JSON term to one of
//! these; `docs/RECORDS.md` has the table from Gig Data Standard field to term to IRI.

/// The `gig:` namespace, for what schema.org, VC 2.0 and Open Badges do not have.
pub const GIG: &str = "https://w3id.org/openplatforms/gig#";
/// schema.org.
pub const SCHEMA: &str = "https://schema.org/";
/// Open Badges 3.0 vocabulary.
pub const OB: &str = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#";
/// ESCO concepts (skills and occupations) are IRIs under this prefix.
pub const ESCO: &str = "http://data.europa.eu/esco/";

/// The credential type of one gig.
pub const GIG_CREDENTIAL: &str = "GigCredential";
/// The credential type of one achievement (Open Badges 3.0).
pub const ACHIEVEMENT_CREDENTIAL: &str = "AchievementCredential";
/// The credential type of a platform's track-record summary.
pub const TRACK_RECORD_CREDENTIAL: &str = "TrackRecordCredential";

/// Every term `gig:` mints, with what it means; the documentation and the context agree on these.
pub const MINTED: &[(&str, &str)] = &[
    (
        "GigCredential",
        "A credential stating that its subject performed one gig.",
    ),
    (
        "TrackRecordCredential",
        "A credential summarising its subject's track record on the issuing platform.",
    ),
    (
        "Gig",
        "One instance of a worker supplying a service through a platform (a gig, job or project); a kind of schema:Action.",
    ),
    (
        "TrackRecord",
        "A worker's aggregate record on one platform: counts, ratings per dimension, period.",
    ),
    (
        "successful",
        "Whether the platform deems the gig successful (xsd:boolean; Gig Data Standard `outcome.success`).",
    ),
    (
        "hoursWorked",
        "Hours spent on the gig, as the platform estimates them (xsd:integer; `additionalData.noOfHours`).",
    ),
    (
        "earnings",
        "What the worker earned for the gig, a schema:MonetaryAmount (`additionalData.income`).",
    ),
    (
        "usedSkill",
        "A skill the gig used, as an ESCO skill or occupation IRI.",
    ),
    (
        "trackRecord",
        "Links a worker to their gig:TrackRecord on the issuing platform.",
    ),
    (
        "completedCount",
        "How many gigs the worker performed on the platform (xsd:integer).",
    ),
    (
        "successfulCount",
        "How many of those gigs the platform deems successful (xsd:integer).",
    ),
];
