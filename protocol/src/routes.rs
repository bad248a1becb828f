//! Route paths: every URL path that a server mounts, a discovery document names or a client calls.
//!
//! Routers, the connector and the tests all use these constants, so a path is spelled once.

/// Pod server admin API: `POST` creates a pod; `{POD_ADMIN_PODS}/{name}` with `DELETE` removes one.
pub const POD_ADMIN_PODS: &str = "/.admin/pods";

/// Pod server admin API: one pod (`DELETE` removes it).
pub fn pod_admin_pod(name: &str) -> String {
    format!("{POD_ADMIN_PODS}/{name}")
}

/// Pod server admin API: a pod's books checked against its contents (GET).
pub fn pod_admin_pod_audit(name: &str) -> String {
    format!("{POD_ADMIN_PODS}/{name}/audit")
}

/// Pod server health check, for load balancers and operators; answers `200 ok` without touching storage.
pub const POD_HEALTH: &str = "/.well-known/op-health";

/// Inside a pod: the WebID profile document.
pub const POD_PROFILE_CARD: &str = "profile/card";

/// Inside a pod: the fragment of the WebID in the profile document.
pub const WEBID_FRAGMENT: &str = "me";

/// Inside a pod: the container that holds one container per platform.
pub const POD_GIGS: &str = "gigs/";

/// Names that cannot be used as pod names because the server root uses them.
pub const RESERVED_POD_NAMES: &[&str] = &[".admin", ".well-known", "admin", "well-known"];

/// Hub: OpenID Connect discovery.
pub const HUB_OIDC_DISCOVERY: &str = "/.well-known/openid-configuration";
/// Hub: RFC 8414 authorization server metadata.
pub const HUB_OAUTH_DISCOVERY: &str = "/.well-known/oauth-authorization-server";
/// Hub: the token-signing keys (JWKS).
pub const HUB_JWKS: &str = "/jwks";
/// Hub: the authorization endpoint.
pub const HUB_AUTHORIZE: &str = "/authorize";
/// Hub: where the consent form posts.
pub const HUB_CONSENT: &str = "/consent";
/// Hub: the token endpoint.
pub const HUB_TOKEN: &str = "/token";
/// Hub: OpenID Connect userinfo.
pub const HUB_USERINFO: &str = "/userinfo";
/// Hub: RFC 7009 token revocation.
pub const HUB_REVOKE: &str = "/revoke";
/// Hub: RFC 7662 token introspection.
pub const HUB_INTROSPECT: &str = "/introspect";
/// Hub: the revocation feed (`?after=N`), for resource servers.
pub const HUB_REVOCATIONS: &str = "/revocations";
/// Hub: the revocation feed as server-sent events (`?after=N`).
pub const HUB_REVOCATIONS_STREAM: &str = "/revocations/stream";
/// Hub: worker sign-up.
pub const HUB_SIGNUP: &str = "/signup";
/// Hub: worker login.
pub const HUB_LOGIN: &str = "/login";
/// Hub: logout (POST).
pub const HUB_LOGOUT: &str = "/logout";
/// Hub: the worker's dashboard.
pub const HUB_DASHBOARD: &str = "/";
/// Hub: a worker's grants; [`hub_grant_revoke`] revokes one (POST).
pub const HUB_GRANTS: &str = "/grants";
/// Hub: admin API for clients.
pub const HUB_ADMIN_CLIENTS: &str = "/admin/clients";
/// Hub: admin API to rotate signing keys (POST).
pub const HUB_ADMIN_KEYS_ROTATE: &str = "/admin/keys/rotate";
/// Hub: health check.
pub const HUB_HEALTH: &str = "/.well-known/op-health";
/// Hub: registered platforms; [`hub_platform`] is a platform's controller document (its
/// record-signing keys), [`hub_platform_keys`] (POST) registers a key,
/// [`hub_platform_registration`] says whether the platform is certified.
pub const HUB_PLATFORMS: &str = "/platforms";

/// Hub and pod server: every pinned JSON-LD context, read-only, at a stable URL — `https://` in
/// the context's URL replaced by this prefix ([`context_path`]) — so clients without our code
/// can expand records offline; the prefix itself answers the index (URL → path, SHA-256).
pub const CONTEXTS: &str = "/.well-known/op-contexts/";

/// Where a server serves the pinned context `url` (`None` for a URL that is not https).
pub fn context_path(url: &str) -> Option<String> {
    url.strip_prefix("https://")
        .map(|rest| format!("{CONTEXTS}{rest}"))
}

/// Pod server: where a hub proves that a worker controls a self-hosted pod, with the one-time
/// link code the pod server printed (POST, hub service token).
pub const POD_LINK: &str = "/.well-known/op-link";

/// Pod server: where a hub that linked a self-hosted pod hands it the credentials it follows the
/// hub's revocation feed with (POST, hub service token).
pub const POD_FEED_CREDENTIALS: &str = "/.well-known/op-feed-credentials";

/// Hub: where a worker links a self-hosted pod (POST, dashboard form).
pub const HUB_LINK_POD: &str = "/pods/link";

/// Hub: where a worker moves their data to their own pod or to a pod hosted by the hub (POST,
/// dashboard form).
pub const HUB_MOVE_POD: &str = "/pods/move";

/// Hub: starts a login at an upstream OpenID Connect provider (GET, `?provider={n}`), or links
/// or unlinks one from the dashboard (POST, form).
pub const HUB_LOGIN_UPSTREAM: &str = "/login/upstream";

/// Hub: where an upstream OpenID Connect provider sends the browser back (its redirect URI).
pub const HUB_LOGIN_UPSTREAM_CALLBACK: &str = "/login/upstream/callback";

/// Hub: where a worker adds or removes another Solid identity provider named in their WebID
/// profile (POST, dashboard form).
pub const HUB_IDENTITY_PROVIDERS: &str = "/account/identity-providers";

/// Hub: the developer page, where organisations register platforms and matchers (GET, POST).
pub const HUB_DEVELOPERS: &str = "/developers";

/// Inside a pod: the access log, generated by the server, readable by the owner
/// ([`crate::access::AccessEvent`] in JSON).
pub const POD_ACCESS_LOG: &str = "log/";

/// Inside a platform's folder in a pod: its track-record summary, the one resource a
/// summary-only grant may read.
pub const POD_SUMMARY: &str = "summary";

/// Hub: the worker's backpack — every record in their pod, verified, grouped by platform.
pub const HUB_BACKPACK: &str = "/backpack";

/// Hub: export all one's data as a zip (POST, from the backpack page).
pub const HUB_EXPORT: &str = "/export";

/// Hub: delete one's account (POST, with the password).
pub const HUB_DELETE_ACCOUNT: &str = "/account/delete";

/// Hub: the WebID profiles of accounts without a pod (`/people/{username}`, WebID `…#me`).
pub const HUB_PEOPLE: &str = "/people";

/// Hub: the path of one account's WebID profile document.
pub fn hub_person(username: &str) -> String {
    format!("{HUB_PEOPLE}/{username}")
}

/// Hub: a platform's controller document (its issuer id).
pub fn hub_platform(client_id: &str) -> String {
    format!("{HUB_PLATFORMS}/{client_id}")
}

/// Hub: one of a platform's hosted status lists (`GET` public, `PUT` by the platform).
pub fn hub_status_list(client_id: &str, name: &str) -> String {
    format!("{}{name}", issuer_status_lists(&hub_platform(client_id)))
}

/// Hub: where a platform obtains the status list entries of its records (`POST`, as itself).
pub fn hub_status_allocations(client_id: &str) -> String {
    format!("{HUB_PLATFORMS}/{client_id}/status-allocations")
}

/// Hub: where the worker revokes one of their grants (POST, dashboard form).
pub fn hub_grant_revoke(grant_id: &str) -> String {
    format!("{HUB_GRANTS}/{grant_id}/revoke")
}

/// Hub: one registered client, as the admin API shows it (GET).
pub fn hub_admin_client(client_id: &str) -> String {
    format!("{HUB_ADMIN_CLIENTS}/{client_id}")
}

/// Hub: where an admin certifies a platform (POST).
pub fn hub_admin_certify(client_id: &str) -> String {
    format!("{HUB_ADMIN_CLIENTS}/{client_id}/certify")
}

/// Hub: whether a platform is registered and certified (GET, public).
pub fn hub_platform_registration(client_id: &str) -> String {
    issuer_registration(&hub_platform(client_id))
}

/// Whether the platform whose issuer id (its controller document's URL, [`hub_platform`] on a
/// hub) is `issuer` is registered and certified.
pub fn issuer_registration(issuer: &str) -> String {
    format!("{issuer}/registration")
}

/// Where the status lists a hub hosts for the platform whose issuer id is `issuer` start: a
/// list is this followed by its name.
pub fn issuer_status_lists(issuer: &str) -> String {
    format!("{issuer}/status/")
}

/// Hub: where a platform registers a record-signing key (POST, as itself).
pub fn hub_platform_keys(client_id: &str) -> String {
    format!("{}/keys", hub_platform(client_id))
}
