//! The WebID profile document written into every new pod at `profile/card`.

/// The profile as Turtle with IRIs relative to the document (`<#me>`, storage `<../>`), so the
/// stored bytes stay true if the server's public URL changes.
pub fn turtle(issuers: &[String]) -> String {
    op_protocol::webid::profile_turtle(Some("../"), issuers)
}
