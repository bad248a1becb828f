//! `up --demo`: a demo worker pod with records, and — until the hub exists — a development
//! token issuer whose key lives in the data directory, so the demo pod can be read with curl.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use op_pod::RunningPod;
use op_pod::pod::model::Kind;
use op_pod::pod::ops::{self, Conditions, Content};
use op_protocol::path::{PodName, ResourcePath};
use op_protocol::token::AccessClaims;

/// The demo worker's pod.
const DEMO_POD: &str = "demo";
/// How long a printed development token lasts.
const TOKEN_HOURS: u64 = 12;

/// A local token issuer for the demo: an Ed25519 key in `DATA/dev-issuer.pk8` and its JWKS.
pub struct DevIssuer {
    pub iss: String,
    pub jwks_path: PathBuf,
    key: SigningKey,
}

impl DevIssuer {
    /// Loads the key, or generates it on first run.
    pub fn load_or_create(data: &Path) -> anyhow::Result<Self> {
        let key_path = data.join("dev-issuer.pk8");
        let key = match std::fs::read(&key_path) {
            Ok(der) => {
                SigningKey::from_pkcs8_der(&der).context("dev-issuer.pk8 is not an Ed25519 key")?
            }
            Err(_) => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                let der = key.to_pkcs8_der().context("encode the dev issuer key")?;
                crate::up::write_private(&key_path, der.as_bytes())?;
                key
            }
        };
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let jwks = serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "dev", "alg": "EdDSA"}]});
        let jwks_path = data.join("dev-issuer.jwks.json");
        std::fs::write(&jwks_path, jwks.to_string())?;
        Ok(DevIssuer {
            iss: "urn:openplatforms:dev-issuer".into(),
            jwks_path,
            key,
        })
    }

    fn token(&self, aud: &str, webid: &str) -> anyhow::Result<String> {
        let now = op_protocol::clock::Clock::system().now_secs();
        let claims = AccessClaims {
            iss: self.iss.clone(),
            sub: webid.to_owned(),
            aud: aud.to_owned(),
            client_id: "openplatforms-demo".into(),
            scope: "webid pod:owner".into(),
            authorization_details: Vec::new(),
            jti: format!("{:032x}", rand::random::<u128>()),
            iat: now,
            exp: now + TOKEN_HOURS * 3600,
            nbf: None,
            grant_id: None,
            webid: Some(webid.to_owned()),
            cnf: None,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some("dev".into());
        let der = self
            .key
            .to_pkcs8_der()
            .context("encode the dev issuer key")?;
        let key = jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes());
        Ok(jsonwebtoken::encode(&header, &claims, &key)?)
    }
}

/// Gig records in the demo pod: plain Turtle until signed records land.
const RECORDS: &[(&str, &str)] = &[
    (
        "/gigs/demo-platform/gig-2026-03-01",
        "@prefix schema: <https://schema.org/>.\n<#gig> a schema:Action;\n  schema:name \"Grocery delivery\";\n  schema:actionStatus schema:CompletedActionStatus;\n  schema:startTime \"2026-03-01T10:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>;\n  schema:agent <../../profile/card#me>.\n",
    ),
    (
        "/gigs/demo-platform/gig-2026-03-04",
        "@prefix schema: <https://schema.org/>.\n<#gig> a schema:Action;\n  schema:name \"Furniture assembly\";\n  schema:actionStatus schema:CompletedActionStatus;\n  schema:startTime \"2026-03-04T14:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>;\n  schema:agent <../../profile/card#me>.\n",
    ),
];

/// Creates the demo pod and records if missing (idempotent), writes `DATA/demo.json`, prints how to look.
#[allow(clippy::print_stdout)]
pub async fn seed_and_print(
    running: &RunningPod,
    issuer: &DevIssuer,
    data: &Path,
) -> anyhow::Result<()> {
    let state = &running.state;
    let pod = PodName::parse(DEMO_POD).expect("demo pod name is valid");
    if ops::pod_record(&state.store, &pod)?.is_none() {
        state
            .create_pod(pod.clone(), None)
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the demo pod: {e}"))?;
    }
    for (path, turtle) in RECORDS {
        let path = ResourcePath::parse(path).expect("demo paths are valid");
        if ops::resource(&state.store, &pod, &path)?.is_none() {
            let content = Content::Document {
                kind: Kind::Rdf,
                media_type: "text/turtle".into(),
                body: turtle.as_bytes().to_vec(),
            };
            let now = state.clock.now_millis();
            ops::put(
                &state.store,
                &pod,
                &path,
                content,
                Conditions::default(),
                now,
            )
            .await?;
        }
    }
    let root = state.pod_root(&pod);
    let record = ops::active_pod(&state.store, &pod)?;
    let webid = state.owner_webid(&pod, &record);
    let token = issuer.token(&root, &webid)?;
    let token_path = data.join("demo-owner-token");
    crate::up::write_private(&token_path, token.as_bytes())?;
    let demo = serde_json::json!({
        "pod_url": root,
        "worker": {"webid": webid, "pod": DEMO_POD},
        "owner_token_file": token_path,
        "note": "development token from a local key; the hub will replace it",
    });
    std::fs::write(data.join("demo.json"), serde_json::to_vec_pretty(&demo)?)?;
    println!();
    println!("  demo worker  {webid}");
    println!("  demo pod     {root}");
    println!("  public       curl {root}profile/card");
    println!(
        "  as the owner curl -H \"Authorization: Bearer $(cat {})\" {root}gigs/demo-platform/",
        token_path.display()
    );
    println!(
        "  (a {TOKEN_HOURS}-hour development token from a local key in {}; the hub will issue real ones)",
        data.display()
    );
    println!("  details      {}", data.join("demo.json").display());
    Ok(())
}
