//! WebID profile documents (Solid WebID Profile): the one shape both servers write — the pod's
//! `profile/card` and the hub's `/people/{name}`, the WebID the hub anchors for each worker.

use crate::vocab::{foaf, pim, schema, solid};

/// A profile as Turtle with IRIs relative to the document (`<#me>`), so the bytes stay true if
/// the server's public URL changes. `storage` is the pod's root, relative to the document (the pod
/// writes `../`) or absolute (the hub names the worker's pod), or `None` for no pod; `issuers` are the identity providers the
/// WebID trusts (`solid:oidcIssuer`).
pub fn profile_turtle(storage: Option<&str>, issuers: &[String]) -> String {
    let mut out = format!(
        "<> a <{}>;\n    <{}> <#me>;\n    <{}> <#me>.\n\n<#me> a <{}>, <{}>",
        foaf::PERSONAL_PROFILE_DOCUMENT,
        foaf::MAKER,
        foaf::PRIMARY_TOPIC,
        foaf::PERSON,
        schema::PERSON,
    );
    if let Some(storage) = storage {
        out.push_str(&format!(";\n    <{}> <{storage}>", pim::STORAGE_PROP));
    }
    for issuer in issuers {
        out.push_str(&format!(";\n    <{}> <{issuer}>", solid::OIDC_ISSUER));
    }
    out.push_str(".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_profile_names_its_storage_and_issuers() {
        let text = profile_turtle(Some("../"), &["https://hub.example".into()]);
        assert!(text.contains(&format!("<{}> <../>", pim::STORAGE_PROP)));
        assert!(text.contains(&format!("<{}> <https://hub.example>", solid::OIDC_ISSUER)));
        assert!(text.ends_with(".\n"));
    }

    #[test]
    fn a_profile_without_a_pod_names_no_storage() {
        let text = profile_turtle(None, &["https://hub.example".into()]);
        assert!(!text.contains(pim::STORAGE_PROP));
        assert!(text.contains("<#me> a"));
    }
}
