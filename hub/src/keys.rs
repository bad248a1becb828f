//! The hub's token-signing keys, stored in the hub's store, published as a JWKS: Ed25519 for
//! every token of the Open Platforms protocol, and P-256 (ES256) for Solid-OIDC tokens, because
//! Solid resource servers (the Community Solid Server's verifier among them) accept only ECDSA
//! and RSA signatures.
//!
//! Rotation adds a new active key of each algorithm and retires the old ones; a retired key stays
//! published until every token it signed has expired, so rotation never breaks a valid token.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use op_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::table::Table;

/// Signing keys by key id.
pub const KEYS: Table<StoredKey> = Table::new(b'k');

/// The algorithm a key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KeyAlg {
    /// Ed25519 (`EdDSA`): the protocol's tokens. Keys stored before ES256 existed are these.
    #[default]
    EdDSA,
    /// ECDSA P-256 (`ES256`): Solid-OIDC access and ID tokens.
    ES256,
}

/// A signing key as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// Key id (`kid`).
    pub kid: String,
    /// Its algorithm.
    #[serde(default)]
    pub alg: KeyAlg,
    /// PKCS#8 DER, base64.
    pub pkcs8: String,
    /// Public key, base64url: `x` in the JWK (for P-256, the x coordinate).
    pub x: String,
    /// For P-256, the y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// When it stopped signing, Unix seconds.
    pub retired: Option<u64>,
}

/// The loaded key set: one active key of each algorithm that signs, and every key still
/// published.
#[derive(Clone)]
pub struct KeySet {
    active_kid: String,
    active: EncodingKey,
    solid_kid: String,
    solid: EncodingKey,
    published: Vec<StoredKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeySet(active {}, {} published)",
            self.active_kid,
            self.published.len()
        )
    }
}

fn new_key(alg: KeyAlg, now: u64) -> StoredKey {
    let (der, x, y) = match alg {
        KeyAlg::EdDSA => {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
            let der = key.to_pkcs8_der().expect("Ed25519 keys encode as PKCS#8");
            (der.as_bytes().to_vec(), x, None)
        }
        KeyAlg::ES256 => {
            use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING as P256, KeyPair};
            let rng = ring::rand::SystemRandom::new();
            let der = ring::signature::EcdsaKeyPair::generate_pkcs8(&P256, &rng)
                .expect("the system's random source works");
            let pair = ring::signature::EcdsaKeyPair::from_pkcs8(&P256, der.as_ref(), &rng)
                .expect("a P-256 key ring just made parses");
            // The uncompressed point: 0x04, then x and y, 32 bytes each.
            let point = pair.public_key().as_ref();
            let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
            let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
            (der.as_ref().to_vec(), x, Some(y))
        }
    };
    let prefix = if alg == KeyAlg::ES256 { "es-" } else { "" };
    StoredKey {
        kid: format!("{prefix}{}-{}", now, &x[..8]),
        alg,
        pkcs8: STANDARD.encode(der),
        x,
        y,
        created: now,
        retired: None,
    }
}

/// The newest unretired key of `alg`, decoded for signing.
fn active_of(keys: &[StoredKey], alg: KeyAlg) -> Result<(String, EncodingKey), StoreError> {
    let active = keys
        .iter()
        .filter(|k| k.retired.is_none() && k.alg == alg)
        .max_by_key(|k| k.created)
        .ok_or_else(|| {
            StoreError::from(op_store::KvError(format!("no active {alg:?} signing key")))
        })?;
    let der = STANDARD
        .decode(&active.pkcs8)
        .map_err(|e| StoreError::from(op_store::KvError(format!("corrupt signing key: {e}"))))?;
    let key = match alg {
        KeyAlg::EdDSA => EncodingKey::from_ed_der(&der),
        KeyAlg::ES256 => EncodingKey::from_ec_der(&der),
    };
    Ok((active.kid.clone(), key))
}

impl KeySet {
    /// Loads every key, creating the first one if there is none. `keep_secs` is how long a
    /// retired key stays published (the longest access-token lifetime plus leeway).
    pub fn load_or_create(store: &Store, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        let keys = Self::all(store)?;
        // A store from before ES256 keys gets one next to its Ed25519 key.
        let missing: Vec<StoredKey> = [KeyAlg::EdDSA, KeyAlg::ES256]
            .into_iter()
            .filter(|alg| !keys.iter().any(|k| k.retired.is_none() && k.alg == *alg))
            .map(|alg| new_key(alg, now))
            .collect();
        if !missing.is_empty() {
            store.write_blocking(move |tx| {
                for key in &missing {
                    KEYS.put(tx, &key.kid, key);
                }
                Ok::<_, StoreError>(())
            })?;
        }
        Self::from_keys(Self::all(store)?, now, keep_secs)
    }

    fn all(store: &Store) -> Result<Vec<StoredKey>, StoreError> {
        Ok(KEYS
            .scan(store, "", None, 1000)?
            .into_iter()
            .map(|(_, k)| k)
            .collect())
    }

    fn from_keys(keys: Vec<StoredKey>, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        let (active_kid, active) = active_of(&keys, KeyAlg::EdDSA)?;
        let (solid_kid, solid) = active_of(&keys, KeyAlg::ES256)?;
        let published = keys
            .into_iter()
            .filter(|k| k.retired.is_none_or(|r| r + keep_secs > now))
            .collect();
        Ok(KeySet {
            active_kid,
            active,
            solid_kid,
            solid,
            published,
        })
    }

    /// Retires the active keys and makes a new one of each algorithm; returns the new Ed25519
    /// key's id.
    pub async fn rotate(store: &Store, now: u64) -> Result<String, StoreError> {
        let fresh = [new_key(KeyAlg::EdDSA, now), new_key(KeyAlg::ES256, now)];
        let kid = fresh[0].kid.clone();
        let existing = Self::all(store)?;
        store
            .write(move |tx| {
                for mut old in existing.into_iter().filter(|k| k.retired.is_none()) {
                    old.retired = Some(now);
                    KEYS.put(tx, &old.kid.clone(), &old);
                }
                for key in &fresh {
                    KEYS.put(tx, &key.kid, key);
                }
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(kid)
    }

    /// Reloads after a rotation.
    pub fn reload(store: &Store, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        Self::from_keys(Self::all(store)?, now, keep_secs)
    }

    /// The JWKS document of every published key.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .published
            .iter()
            .map(|k| match (k.alg, &k.y) {
                (KeyAlg::ES256, Some(y)) => serde_json::json!({
                    "kty": "EC", "crv": "P-256", "x": k.x, "y": y, "kid": k.kid, "alg": "ES256", "use": "sig"
                }),
                _ => serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": k.x, "kid": k.kid, "alg": "EdDSA", "use": "sig"
                }),
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs `claims` as a JWT with the active key and the given `typ`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.active).expect("EdDSA signing does not fail")
    }

    /// Signs `claims` as a JWT with the active P-256 key (`ES256`), for Solid-OIDC.
    pub fn sign_es256<T: Serialize>(&self, typ: &str, claims: &T) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.solid_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.solid).expect("ES256 signing does not fail")
    }

    /// Verifies a JWT this hub signed (any published key); expiry is left to the caller's clock.
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expected_typ: &str) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256)
            || !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(expected_typ))
        {
            return None;
        }
        let kid = header.kid?;
        let key = self.published.iter().find(|k| k.kid == kid)?;
        let decoding = match (key.alg, &key.y, header.alg) {
            (KeyAlg::EdDSA, _, Algorithm::EdDSA) => DecodingKey::from_ed_components(&key.x).ok()?,
            (KeyAlg::ES256, Some(y), Algorithm::ES256) => {
                DecodingKey::from_ec_components(&key.x, y).ok()?
            }
            _ => return None,
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<T>(token, &decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }

    /// The active key id.
    pub fn active_kid(&self) -> &str {
        &self.active_kid
    }
}
