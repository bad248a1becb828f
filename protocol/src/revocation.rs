//! What an entry of the hub's revocation feed names (`grant_id` of `GET /revocations`), and how a
//! resource server matches a token against it. Three kinds share the one field, and cannot
//! collide because grant ids are `{username}~…` with slug usernames:
//!
//! * a grant id: every token issued under the grant is refused;
//! * `jti:{jti}`: one grant-less token (`client_credentials`) is refused;
//! * `{grant id} {pod root}`: the grant's tokens for that pod issued at or before the entry's
//!   `revoked_at` are refused — the worker moved their data to another pod, and the grant now
//!   points there (should they move back, tokens issued after that are good again).

/// The feed id of a revoked grant-less token.
pub fn token(jti: &str) -> String {
    format!("jti:{jti}")
}

/// The feed id that ends a grant's access to one pod (the pod it pointed at before a move).
pub fn moved(grant_id: &str, pod_root: &str) -> String {
    format!("{grant_id} {pod_root}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_kinds_never_collide() {
        let grant = "alice~g1";
        let moved = moved(grant, "https://old.example/alice/");
        assert_ne!(moved, grant);
        assert!(moved.starts_with(grant) && moved.contains(' '));
        assert!(token("abc").starts_with("jti:") && !grant.starts_with("jti:"));
    }
}
