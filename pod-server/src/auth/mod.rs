//! Who is calling, and what they may do: access token verification and the access policy.

pub mod issuer;
pub mod policy;
pub mod revocation;
pub mod token;

/// Starts following the revocation feed of every issuer the pod has credentials for.
pub fn spawn_followers(state: &crate::http::AppState) -> Vec<tokio::task::JoinHandle<()>> {
    state
        .verifier
        .issuers()
        .iter()
        .filter(|i| i.credentials.is_some())
        .map(|issuer| {
            tokio::spawn(revocation::follow(
                issuer.clone(),
                state.verifier.revocations().clone(),
                state.verifier.http().clone(),
                state.store.clone(),
                state.clock.clone(),
            ))
        })
        .collect()
}
