//! Who is calling, and what they may do: access token verification and the access policy.

pub mod credentials;
pub mod issuer;
pub mod policy;
pub mod revocation;
pub mod solid;
pub mod token;

/// Starts following the revocation feed of every issuer the pod has credentials for, or will
/// have once a hub hands them over (every discovered issuer).
pub fn spawn_followers(state: &crate::http::AppState) -> Vec<tokio::task::JoinHandle<()>> {
    state
        .verifier
        .issuers()
        .iter()
        .filter(|i| {
            i.credentials.get().is_some() || matches!(i.source, issuer::KeySource::Discovered)
        })
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
