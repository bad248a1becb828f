//! The hub's words in English and Swedish; pages pick a language from the switch, the session
//! or `Accept-Language`. The words themselves are in `i18n/en.rs` and `i18n/sv.rs`.

mod en;
mod sv;

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Swedish.
    Sv,
}

impl Lang {
    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    /// Parses `en` or `sv`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().get(..2)? {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// The first supported language in an `Accept-Language` header, by order of preference.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranges: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges.first().map(|(_, l)| *l)
    }

    /// The words in this language.
    pub fn t(self) -> &'static Text {
        match self {
            Lang::En => &en::EN,
            Lang::Sv => &sv::SV,
        }
    }
}

/// Every sentence a page shows.
#[derive(Debug)]
pub struct Text {
    pub site: &'static str,
    pub switch_to: &'static str,
    pub login: &'static str,
    pub signup: &'static str,
    pub logout: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub password_hint: &'static str,
    pub no_account: &'static str,
    pub have_account: &'static str,
    pub wants_access: &'static str,
    pub certified: &'static str,
    pub not_certified: &'static str,
    pub it_may: &'static str,
    pub write_own: &'static str,
    pub read_full: &'static str,
    pub read_summary: &'static str,
    pub every_platform: &'static str,
    pub owner_full: &'static str,
    pub offline: &'static str,
    pub know_webid: &'static str,
    pub solid_full: &'static str,
    pub login_with: &'static str,
    pub upstream_title: &'static str,
    pub upstream_hint: &'static str,
    pub upstream_linked: &'static str,
    pub upstream_not_linked: &'static str,
    pub upstream_link: &'static str,
    pub upstream_unlink: &'static str,
    pub idp_title: &'static str,
    pub idp_hint: &'static str,
    pub idp_issuer: &'static str,
    pub idp_token: &'static str,
    pub idp_token_hint: &'static str,
    pub idp_add: &'static str,
    pub idp_remove: &'static str,
    pub purpose: &'static str,
    pub until: &'static str,
    pub until_revoked: &'static str,
    pub your_pod: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub revoke_anytime: &'static str,
    pub dashboard: &'static str,
    pub your_webid: &'static str,
    pub no_pod: &'static str,
    pub grants: &'static str,
    pub no_grants: &'static str,
    pub app: &'static str,
    pub access: &'static str,
    pub since: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub revoke_access_for: &'static str,
    pub revoke_effect: &'static str,
    pub cancel: &'static str,
    pub activity: &'static str,
    pub no_activity: &'static str,
    pub own_pod: &'static str,
    pub own_pod_hint: &'static str,
    pub ended_access: &'static str,
    pub ended_on: &'static str,
    pub ev_consent_given: &'static str,
    pub ev_consent_denied: &'static str,
    pub ev_grant_revoked: &'static str,
    pub ev_grant_revoked_by_client: &'static str,
    pub ev_code_replayed: &'static str,
    pub ev_refresh_reused: &'static str,
    pub ev_pod_linked: &'static str,
    pub ev_pod_moved: &'static str,
    pub move_out: &'static str,
    pub move_out_hint: &'static str,
    pub move_in: &'static str,
    pub move_in_hint: &'static str,
    pub error_title: &'static str,
    pub link_pod: &'static str,
    pub link_pod_hint: &'static str,
    pub pod_url: &'static str,
    pub link_code: &'static str,
    pub last_access: &'static str,
    pub who_read: &'static str,
    pub log_unavailable: &'static str,
    pub no_reads: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub result: &'static str,
    pub backpack: &'static str,
    pub no_records: &'static str,
    pub gigs_over_time: &'static str,
    pub ratings: &'static str,
    pub status: &'static str,
    pub verified: &'static str,
    pub revoked_by_platform: &'static str,
    pub unverified: &'static str,
    pub signed_by: &'static str,
    pub not_certified_here: &'static str,
    pub export: &'static str,
    pub export_hint: &'static str,
    pub include_in_cv: &'static str,
    pub delete_account: &'static str,
    pub delete_hint: &'static str,
}

impl Text {
    /// An audit event in words, naming the app (`code` is the event's stored name).
    pub fn event(&self, code: &str, app: &str) -> String {
        let phrase = match code {
            "consent_given" => self.ev_consent_given,
            "consent_denied" => self.ev_consent_denied,
            "grant_revoked" => self.ev_grant_revoked,
            "grant_revoked_by_client" => self.ev_grant_revoked_by_client,
            "code_replayed" => self.ev_code_replayed,
            "refresh_reused" => self.ev_refresh_reused,
            "pod_linked" => self.ev_pod_linked,
            "pod_moved" => self.ev_pod_moved,
            other => return format!("{other} ({app})"),
        };
        phrase.replace("{app}", app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            Lang::from_accept_language("sv-SE,sv;q=0.9,en;q=0.8"),
            Some(Lang::Sv)
        );
        assert_eq!(
            Lang::from_accept_language("de, en;q=0.5, sv;q=0.4"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
