//! The hub's words in English and Swedish; pages pick a language from the switch, the session
//! or `Accept-Language`.

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
            Lang::En => &EN,
            Lang::Sv => &SV,
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

static EN: Text = Text {
    site: "Open Platforms",
    switch_to: "På svenska",
    login: "Log in",
    signup: "Create an account",
    logout: "Log out",
    username: "Username",
    password: "Password",
    password_hint: "At least 10 characters.",
    no_account: "No account yet?",
    have_account: "Already have an account?",
    wants_access: "wants access to your gig data",
    certified: "Certified: checked by this hub's operator.",
    not_certified: "Not certified: this hub's operator has not checked this app.",
    it_may: "If you allow it, it may:",
    write_own: "write records of the gigs you do through it into your pod, only into its own folder",
    read_full: "read all your records from",
    read_summary: "read only the summary of your track record from",
    every_platform: "every platform",
    owner_full: "have full access to your pod: read, change and delete everything in it",
    offline: "keep this access while you are away, until it ends or you revoke it",
    know_webid: "know your WebID",
    idp_title: "Other Solid identity providers",
    idp_hint: "Log in to Solid apps with another provider too? Add it here: your WebID will name \
               it, and Solid servers (your pod among them) accept it as you.",
    idp_issuer: "Provider's address",
    idp_token: "Verification code (if the provider asks for one)",
    idp_token_hint: "Some providers ask you to put a code in your WebID profile to prove it is \
                     yours. Paste it here.",
    idp_add: "Add provider",
    idp_remove: "Remove",
    solid_full: "act as you in Solid apps: sign in with your WebID, and read, change and delete \
                 everything in your pod and anything else your WebID may use on other Solid servers",
    purpose: "Why",
    until: "Until",
    until_revoked: "until you revoke it",
    your_pod: "Your pod",
    allow: "Allow",
    deny: "Deny",
    revoke_anytime: "You can see and revoke this access at any time on your dashboard.",
    dashboard: "Your dashboard",
    your_webid: "Your WebID",
    no_pod: "No pod linked yet.",
    grants: "Apps with access",
    no_grants: "No app has access to your data.",
    app: "App",
    access: "Access",
    since: "Since",
    last_used: "Last used",
    never: "never",
    revoke: "Revoke",
    revoked: "revoked",
    revoke_access_for: "Revoke access for",
    revoke_effect: "Its access stops at once, on every device and every pod. To get it back, the app has to ask you again.",
    cancel: "Cancel",
    activity: "Recent activity",
    no_activity: "Nothing has happened yet.",
    own_pod: "I have my own pod",
    own_pod_hint: "Leave this unticked and this hub keeps a pod for you. Tick it to link a pod you run yourself (op-pod) from your dashboard instead.",
    ended_access: "Access that has ended",
    ended_on: "Ended",
    ev_consent_given: "You gave {app} access.",
    ev_consent_denied: "You refused {app} access.",
    ev_grant_revoked: "You revoked the access of {app}.",
    ev_grant_revoked_by_client: "{app} gave up its access.",
    ev_code_replayed: "The access of {app} was revoked: its one-time code was used twice.",
    ev_refresh_reused: "The access of {app} was revoked: an old token was used again, which can mean it was stolen.",
    ev_pod_linked: "You linked your pod.",
    ev_pod_moved: "You moved your data to another pod; your apps kept their access.",
    move_out: "Move to your own pod",
    move_out_hint: "Run op-pod with this hub as trusted issuer; it prints a one-time code. Enter your pod's address and that code. Everything in your pod is copied there, your WebID stays the same, apps you allowed keep their access, and the pod hosted here is then deleted.",
    move_in: "Move to a pod hosted here",
    move_in_hint: "Everything in your pod is copied into a new pod hosted by this hub, your WebID stays the same and apps you allowed keep their access. Your own pod keeps its copy until you delete it.",
    error_title: "Something is wrong with this request",
    link_pod: "Link your own pod",
    link_pod_hint: "Run op-pod with this hub as trusted issuer; it prints a one-time code. Enter your pod's address and that code.",
    pod_url: "Your pod's address",
    link_code: "Link code",
    last_access: "Last access to your pod",
    who_read: "Who accessed your pod",
    log_unavailable: "Your pod's access log cannot be read right now.",
    no_reads: "Nobody but you has accessed your pod.",
    when: "When",
    what: "What",
    result: "Result",
    backpack: "Your backpack",
    no_records: "Your pod holds no records yet.",
    gigs_over_time: "Gigs per month",
    ratings: "Ratings",
    status: "Check",
    verified: "verified",
    revoked_by_platform: "revoked by the platform",
    unverified: "not verified",
    signed_by: "signed by",
    not_certified_here: "not certified by this hub",
    export: "Download all my data",
    export_hint: "A zip with every resource in your pod exactly as stored, and a CV (cv.html) of the records you tick.",
    include_in_cv: "In the CV",
    delete_account: "Delete my account",
    delete_hint: "Revokes every app's access, deletes your hosted pod with everything in it, and your account. This cannot be undone. Download your data first.",
};

static SV: Text = Text {
    site: "Open Platforms",
    switch_to: "In English",
    login: "Logga in",
    signup: "Skapa konto",
    logout: "Logga ut",
    username: "Användarnamn",
    password: "Lösenord",
    password_hint: "Minst 10 tecken.",
    no_account: "Inget konto än?",
    have_account: "Har du redan ett konto?",
    wants_access: "vill få tillgång till dina uppdragsdata",
    certified: "Certifierad: granskad av den här hubbens operatör.",
    not_certified: "Inte certifierad: hubbens operatör har inte granskat appen.",
    it_may: "Om du tillåter det får den:",
    write_own: "skriva in uppdrag du gör genom den i din pod, bara i sin egen mapp",
    read_full: "läsa alla dina uppgifter från",
    read_summary: "läsa bara sammanfattningen av din meritlista från",
    every_platform: "alla plattformar",
    owner_full: "få full tillgång till din pod: läsa, ändra och radera allt i den",
    offline: "behålla åtkomsten när du inte är här, tills den upphör eller du återkallar den",
    know_webid: "känna till ditt WebID",
    idp_title: "Andra Solid-identitetsleverantörer",
    idp_hint: "Loggar du in i Solid-appar hos en annan leverantör också? Lägg till den här: ditt \
               WebID kommer att nämna den, och Solid-servrar (din pod bland dem) godtar den som du.",
    idp_issuer: "Leverantörens adress",
    idp_token: "Verifieringskod (om leverantören ber om en)",
    idp_token_hint: "Vissa leverantörer ber dig lägga en kod i din WebID-profil för att visa att \
                     den är din. Klistra in den här.",
    idp_add: "Lägg till leverantör",
    idp_remove: "Ta bort",
    solid_full: "agera som du i Solid-appar: logga in med ditt WebID, och läsa, ändra och radera \
                 allt i din pod och allt annat som ditt WebID får använda på andra Solid-servrar",
    purpose: "Varför",
    until: "Till och med",
    until_revoked: "tills du återkallar den",
    your_pod: "Din pod",
    allow: "Tillåt",
    deny: "Neka",
    revoke_anytime: "Du kan när som helst se och återkalla åtkomsten på din översikt.",
    dashboard: "Din översikt",
    your_webid: "Ditt WebID",
    no_pod: "Ingen pod kopplad än.",
    grants: "Appar med åtkomst",
    no_grants: "Ingen app har åtkomst till dina data.",
    app: "App",
    access: "Åtkomst",
    since: "Sedan",
    last_used: "Senast använd",
    never: "aldrig",
    revoke: "Återkalla",
    revoked: "återkallad",
    revoke_access_for: "Återkalla åtkomsten för",
    revoke_effect: "Åtkomsten upphör direkt, på alla enheter och i alla poddar. För att få den tillbaka måste appen fråga dig igen.",
    cancel: "Avbryt",
    activity: "Senaste händelser",
    no_activity: "Inget har hänt ännu.",
    own_pod: "Jag har en egen pod",
    own_pod_hint: "Lämna rutan tom så håller den här hubben en pod åt dig. Kryssa i den för att i stället länka en pod du själv driver (op-pod) från din översikt.",
    ended_access: "Åtkomst som har upphört",
    ended_on: "Upphörde",
    ev_consent_given: "Du gav {app} åtkomst.",
    ev_consent_denied: "Du nekade {app} åtkomst.",
    ev_grant_revoked: "Du återkallade åtkomsten för {app}.",
    ev_grant_revoked_by_client: "{app} avstod från sin åtkomst.",
    ev_code_replayed: "Åtkomsten för {app} återkallades: dess engångskod användes två gånger.",
    ev_refresh_reused: "Åtkomsten för {app} återkallades: en gammal token användes igen, vilket kan betyda att den stulits.",
    ev_pod_linked: "Du länkade din pod.",
    ev_pod_moved: "Du flyttade dina data till en annan pod; dina appar behöll sin åtkomst.",
    move_out: "Flytta till din egen pod",
    move_out_hint: "Kör op-pod med den här hubben som betrodd utfärdare; den skriver ut en engångskod. Ange podens adress och koden. Allt i din pod kopieras dit, ditt WebID är detsamma, appar du har godkänt behåller sin åtkomst och podden här raderas sedan.",
    move_in: "Flytta till en pod här",
    move_in_hint: "Allt i din pod kopieras till en ny pod hos den här hubben, ditt WebID är detsamma och appar du har godkänt behåller sin åtkomst. Din egen pod behåller sin kopia tills du raderar den.",
    error_title: "Något är fel med begäran",
    link_pod: "Koppla din egen pod",
    link_pod_hint: "Kör op-pod med den här hubben som betrodd utfärdare; den skriver ut en engångskod. Ange podens adress och koden.",
    pod_url: "Din pods adress",
    link_code: "Kopplingskod",
    last_access: "Senaste åtkomst till din pod",
    who_read: "Vem som har läst din pod",
    log_unavailable: "Din pods åtkomstlogg kan inte läsas just nu.",
    no_reads: "Ingen utom du har läst din pod.",
    when: "När",
    what: "Vad",
    result: "Resultat",
    backpack: "Din ryggsäck",
    no_records: "Din pod innehåller inga uppgifter än.",
    gigs_over_time: "Uppdrag per månad",
    ratings: "Betyg",
    status: "Kontroll",
    verified: "verifierad",
    revoked_by_platform: "återkallad av plattformen",
    unverified: "inte verifierad",
    signed_by: "signerad av",
    not_certified_here: "inte certifierad av denna hubb",
    export: "Ladda ner alla mina data",
    export_hint: "En zip-fil med allt i din pod precis som det är lagrat, och ett CV (cv.html) med de uppgifter du kryssar i.",
    include_in_cv: "Med i CV",
    delete_account: "Radera mitt konto",
    delete_hint: "Återkallar alla appars åtkomst, raderar din pod med allt innehåll och ditt konto. Det går inte att ångra. Ladda ner dina data först.",
};

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
