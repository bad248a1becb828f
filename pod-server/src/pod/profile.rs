//! The WebID profile document written into every new pod at `profile/card`.

use op_protocol::vocab::{foaf, pim, schema, solid};

/// The profile as Turtle with IRIs relative to the document (`<#me>`, storage `<../>`), so the
/// stored bytes stay true if the server's public URL changes.
pub fn turtle(issuers: &[String]) -> String {
    let mut out = format!(
        "<> a <{}>;\n    <{}> <#me>;\n    <{}> <#me>.\n\n<#me> a <{}>, <{}>;\n    <{}> <../>",
        foaf::PERSONAL_PROFILE_DOCUMENT,
        foaf::MAKER,
        foaf::PRIMARY_TOPIC,
        foaf::PERSON,
        schema::PERSON,
        pim::STORAGE_PROP,
    );
    for issuer in issuers {
        out.push_str(&format!(";\n    <{}> <{issuer}>", solid::OIDC_ISSUER));
    }
    out.push_str(".\n");
    out
}
