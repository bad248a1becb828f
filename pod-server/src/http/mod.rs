//! HTTP: the app state, the one `configure` that `main` and the tests both mount, and routing.

pub mod access;
pub mod admin;
pub mod container;
pub mod contexts;
pub mod error;
pub mod headers;
pub mod resource;

use actix_web::web;
use op_protocol::clock::Clock;
use op_protocol::path::{PodName, ResourcePath};
use op_protocol::routes;
use url::Url;

use crate::auth::token::Verifier;
use crate::config::Limits;
use crate::pod::error::PodError;
use crate::pod::model::PodRecord;
use crate::pod::pods;
use crate::store::Store;
use error::HttpError;

/// Everything a request handler needs, built once at start-up and shared.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Public base URL, without a trailing slash.
    pub base: String,
    /// The pod served at the root, in single-pod mode.
    pub single_pod: Option<PodName>,
    /// Access token verification.
    pub verifier: Verifier,
    /// The clock.
    pub clock: Clock,
    /// Limits and default quotas.
    pub limits: Limits,
    /// Admin API bearer token.
    pub admin_token: Option<String>,
    /// The bounded pool that parses and serialises RDF off the async workers.
    pub work: crate::pod::work::Work,
    /// Requests to each pod made with tokens its owner did not grant (in memory).
    pub tallies: crate::pod::log::Tallies,
}

impl AppState {
    /// Assembles the state from validated config, an open store and the public base URL.
    /// Loads what earlier runs learnt (revoked grants, issuers' keys) from the store.
    pub fn new(
        config: &crate::config::Config,
        store: Store,
        base: String,
        clock: Clock,
    ) -> Result<Self, op_store::StoreError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("an HTTP client with the ring provider");
        for issuer in &config.trusted_issuers {
            issuer.load_cache(&store)?;
        }
        let revocations = std::sync::Arc::new(crate::auth::revocation::Revocations::load(&store)?);
        let verifier = Verifier::new(
            config.trusted_issuers.clone(),
            revocations,
            http,
            store.clone(),
            config.feed_grace_ms,
        );
        Ok(AppState {
            store,
            base,
            single_pod: config.single_pod.clone(),
            verifier,
            clock,
            limits: config.limits,
            admin_token: config.admin_token.clone(),
            work: crate::pod::work::Work::new(config.limits.cpu_jobs),
            tallies: crate::pod::log::Tallies::default(),
        })
    }

    /// The absolute URL of a pod's storage root, with a trailing slash.
    pub fn pod_root(&self, pod: &PodName) -> String {
        match &self.single_pod {
            Some(_) => format!("{}/", self.base),
            None => format!("{}/{}/", self.base, pod),
        }
    }

    /// The absolute URL of a resource.
    pub fn resource_url(&self, pod: &PodName, path: &ResourcePath) -> String {
        let root = self.pod_root(pod);
        format!("{}{}", root.trim_end_matches('/'), path.to_url_path())
    }

    /// The default WebID of a pod's owner: `{root}profile/card#me`.
    pub fn default_webid(&self, pod: &PodName) -> String {
        format!(
            "{}{}#{}",
            self.pod_root(pod),
            routes::POD_PROFILE_CARD,
            routes::WEBID_FRAGMENT
        )
    }

    /// Creates a pod with its profile naming this server's trusted issuers; `provisioned_by` is
    /// the hub asking, if a hub is.
    pub async fn create_pod(
        &self,
        name: PodName,
        owner: Option<String>,
        provisioned_by: Option<String>,
    ) -> Result<PodRecord, HttpError> {
        if let Some(owner) = &owner {
            Url::parse(owner)
                .map_err(|e| HttpError::BadRequest(format!("owner {owner:?} is not a URL: {e}")))?;
        }
        let issuers: Vec<String> = self
            .verifier
            .issuers()
            .iter()
            .map(|i| i.issuer.clone())
            .collect();
        let new = pods::NewPod {
            profile_turtle: crate::pod::profile::turtle(&issuers),
            name,
            owner,
            issuers,
            quota: self.limits.quota(),
            provisioned_by,
        };
        Ok(pods::create_pod(&self.store, new, self.clock.now_millis()).await?)
    }

    /// The owner's WebID: the one recorded, or the pod's own profile.
    pub fn owner_webid(&self, pod: &PodName, record: &PodRecord) -> String {
        record
            .owner
            .clone()
            .unwrap_or_else(|| self.default_webid(pod))
    }

    /// Splits a raw request path into pod and resource path.
    pub fn resolve(&self, raw: &str) -> Result<(PodName, ResourcePath), HttpError> {
        let path = ResourcePath::parse(raw)?;
        if let Some(pod) = &self.single_pod {
            return Ok((pod.clone(), path));
        }
        let Some((first, rest)) = path.segments().split_first() else {
            return Err(HttpError::NotFound(
                "this server hosts many pods; their roots are at /{pod}/".into(),
            ));
        };
        let pod = PodName::parse(first)
            .map_err(|_| HttpError::NotFound(format!("no pod named {first:?} on this server")))?;
        if rest.is_empty() && !path.is_container() {
            return Err(HttpError::NotFound(format!(
                "the pod's storage root is /{first}/"
            )));
        }
        let inner = if rest.is_empty() {
            ResourcePath::root()
        } else {
            ResourcePath::from_segments(rest, path.is_container())?
        };
        Ok((pod, inner))
    }
}

impl From<PodError> for actix_web::Error {
    fn from(e: PodError) -> Self {
        HttpError::Pod(e).into()
    }
}

/// Registers every route: the admin API, health, and the resource handler for everything else.
pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(64 * 1024))
        .route(routes::POD_HEALTH, web::get().to(|| async { "ok\n" }))
        .route(routes::POD_ADMIN_PODS, web::post().to(admin::create_pod))
        .route(
            &routes::pod_admin_pod("{name}"),
            web::get().to(admin::get_pod),
        )
        .route(
            &routes::pod_admin_pod("{name}"),
            web::delete().to(admin::delete_pod),
        )
        .route(
            &routes::pod_admin_pod_audit("{name}"),
            web::get().to(admin::audit_pod),
        )
        .route(routes::POD_LINK, web::post().to(admin::link))
        .route(routes::CONTEXTS, web::get().to(contexts::serve))
        .route(
            &format!("{}{{context:.+}}", routes::CONTEXTS),
            web::get().to(contexts::serve),
        )
        .route(
            routes::POD_FEED_CREDENTIALS,
            web::post().to(admin::feed_credentials),
        )
        .default_service(web::to(resource::handle));
}
