//! Route paths: every URL path that a server mounts, a discovery document names or a client calls.
//!
//! Routers, the connector and the tests all use these constants, so a path is spelled once.

/// Pod server admin API: `POST` creates a pod; `{POD_ADMIN_PODS}/{name}` with `DELETE` removes one.
pub const POD_ADMIN_PODS: &str = "/.admin/pods";

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
