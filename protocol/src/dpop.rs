//! DPoP proofs (RFC 9449): checking a proof JWT against the request it came with.
//!
//! The check is pure; the caller keeps the replay cache (it is state) and compares the returned
//! `jkt` with the token's `cnf.jkt` at resource servers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Accepted clock skew for a proof's `iat`, seconds.
pub const WINDOW_SECS: u64 = 60;

/// A proof that passed every check but replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    /// The proof's unique id, for the caller's replay cache.
    pub jti: String,
}

/// Why a proof was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct DpopError(pub String);

#[derive(Debug, Deserialize)]
struct Claims {
    htm: String,
    htu: String,
    iat: u64,
    jti: String,
    #[serde(default)]
    ath: Option<String>,
}

/// The RFC 7638 thumbprint of a public JWK (OKP Ed25519 or EC).
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    let canonical = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) => {
            format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, p.x)
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let crv = serde_json::to_value(&p.curve).ok()?;
            format!(r#"{{"crv":{crv},"kty":"EC","x":"{}","y":"{}"}}"#, p.x, p.y)
        }
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// The `ath` of an access token: base64url SHA-256 of its ASCII form.
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The JOSE header of a proof, read as written: `alg` is kept as text so that names the JWT
/// library does not know (RFC 9864's `Ed25519`) get a clear answer, and `jwk` as JSON so that
/// private members are seen rather than silently dropped.
#[derive(Debug, Deserialize)]
struct RawHeader {
    #[serde(default)]
    typ: Option<String>,
    alg: String,
    #[serde(default)]
    jwk: Option<serde_json::Map<String, serde_json::Value>>,
}

/// JWK members that only private (or symmetric) keys have (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The signature algorithm a client's JWS names in `alg` — DPoP proofs and `private_key_jwt`
/// assertions: `EdDSA` or its fully specified RFC 9864 name `Ed25519` (what oauth4webapi sends),
/// or `ES256`. `None` for every other name.
pub fn client_algorithm(alg: &str) -> Option<Algorithm> {
    match alg {
        "EdDSA" | "Ed25519" => Some(Algorithm::EdDSA),
        "ES256" => Some(Algorithm::ES256),
        _ => None,
    }
}

/// The signature algorithm a proof's `alg` names, or why it is refused.
fn algorithm(alg: &str) -> Result<Algorithm, DpopError> {
    client_algorithm(alg).ok_or_else(|| {
        DpopError(format!(
            "unsupported DPoP alg {alg:?}: sign the proof with Ed25519 (alg EdDSA or Ed25519) or ES256"
        ))
    })
}

/// Checks a proof for a request with `method` to `url` at time `now` (Unix seconds). With
/// `access_token`, the proof must carry its `ath` (resource servers); without, it must not need one.
/// `htm` is compared exactly: HTTP methods are case-sensitive (RFC 9110 §9.1).
pub fn verify(
    proof: &str,
    method: &str,
    url: &str,
    now: u64,
    access_token: Option<&str>,
) -> Result<Proof, DpopError> {
    check(proof, (method, url), now, access_token, false)
}

/// Checks a proof sent with a Solid-OIDC token at a resource server: as [`verify`] with the
/// token, except that a proof without `ath` is accepted (a wrong one never is). The most used
/// Solid client, Inrupt's, writes proofs without it, and Solid servers accept them; the proof is
/// still single-use, for this request, and by the token's key.
pub fn verify_solid(
    proof: &str,
    method: &str,
    url: &str,
    now: u64,
    access_token: &str,
) -> Result<Proof, DpopError> {
    check(proof, (method, url), now, Some(access_token), true)
}

fn check(
    proof: &str,
    (method, url): (&str, &str),
    now: u64,
    access_token: Option<&str>,
    ath_optional: bool,
) -> Result<Proof, DpopError> {
    let bad = |m: &str| DpopError(m.to_owned());
    let not_jwt = || bad("the DPoP proof is not a JWT");
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_jwt());
    };
    let header: RawHeader = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(not_jwt)?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(bad("the DPoP proof must have typ dpop+jwt"));
    }
    let alg = algorithm(&header.alg)?;
    let jwk = header
        .jwk
        .ok_or_else(|| bad("the DPoP proof has no jwk header"))?;
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(DpopError(format!(
            "the DPoP jwk carries private key material ({member:?}); send only the public key"
        )));
    }
    let mut jwk = jwk;
    // The key's own `alg` member is optional and may use names the JWT library does not parse
    // (`Ed25519`); the header's `alg` is what counts.
    jwk.remove("alg");
    let jwk: Jwk = serde_json::from_value(serde_json::Value::Object(jwk))
        .map_err(|_| bad("the DPoP jwk is not a usable public key"))?;
    let fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => {
            p.curve == jsonwebtoken::jwk::EllipticCurve::Ed25519
        }
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => {
            p.curve == jsonwebtoken::jwk::EllipticCurve::P256
        }
        _ => false,
    };
    if !fits {
        return Err(bad(
            "the DPoP jwk does not fit the alg: Ed25519 (OKP) for EdDSA, P-256 (EC) for ES256",
        ));
    }
    let jkt = thumbprint(&jwk)
        .ok_or_else(|| bad("the DPoP key must be an Ed25519 or P-256 public key"))?;
    let message = &proof[..header_b64.len() + 1 + payload_b64.len()];
    if !signature_holds(&jwk, message.as_bytes(), signature) {
        return Err(bad("the DPoP proof's signature is invalid"));
    }
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            bad("the DPoP proof's claims are invalid (htm, htu, iat and jti are required)")
        })?;
    if claims.htm != method {
        return Err(bad(
            "the DPoP proof's htm does not match the request method (compared case-sensitively)",
        ));
    }
    let strip = |u: &str| u.split(['?', '#']).next().unwrap_or("").to_owned();
    if strip(&claims.htu) != strip(url) {
        return Err(bad("the DPoP proof's htu does not match the request URL"));
    }
    if claims.iat + WINDOW_SECS < now || claims.iat > now + WINDOW_SECS {
        return Err(bad("the DPoP proof's iat is outside the accepted window"));
    }
    if let Some(token) = access_token
        && !(ath_optional && claims.ath.is_none())
        && claims.ath.as_deref() != Some(token_hash(token).as_str())
    {
        return Err(bad("the DPoP proof's ath does not match the access token"));
    }
    Ok(Proof {
        jkt,
        jti: claims.jti,
    })
}

/// Whether `signature` (base64url) over `message` verifies with the proof's public key. ring does
/// it: every DPoP-bound request pays for this check, and ring's P-256 costs a fraction of the
/// pure-Rust one (docs/PERFORMANCE.md, `cargo bench -p op-protocol --bench dpop`).
fn signature_holds(jwk: &Jwk, message: &[u8], signature: &str) -> bool {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};
    let decode = |b64: &str| URL_SAFE_NO_PAD.decode(b64).ok();
    let Some(signature) = decode(signature) else {
        return false;
    };
    match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(p) => {
            let (Some(x), Some(y)) = (decode(&p.x), decode(&p.y)) else {
                return false;
            };
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(message, &signature)
                .is_ok()
        }
        AlgorithmParameters::OctetKeyPair(p) => decode(&p.x).is_some_and(|x| {
            UnparsedPublicKey::new(&ED25519, x)
                .verify(message, &signature)
                .is_ok()
        }),
        _ => false,
    }
}

/// Remembers one-time ids (`jti`) for a fixed time, so a proof or assertion cannot be used twice.
/// Entries are pruned oldest first on every insert, so each insert costs O(1) amortised and
/// memory follows the rate times the retention, whatever the load.
#[derive(Debug)]
pub struct ReplayCache {
    retain_secs: u64,
    inner: std::sync::Mutex<ReplayState>,
}

#[derive(Debug, Default)]
struct ReplayState {
    seen: std::collections::HashSet<String>,
    order: std::collections::VecDeque<(u64, String)>,
}

impl ReplayCache {
    /// A cache that keeps each id `retain_secs` seconds (longer than the id's own validity).
    pub fn new(retain_secs: u64) -> Self {
        ReplayCache {
            retain_secs,
            inner: std::sync::Mutex::default(),
        }
    }

    /// Whether `jti` is new at time `now` (Unix seconds); records it if so.
    pub fn first_use(&self, jti: &str, now: u64) -> bool {
        let mut state = self.inner.lock().expect("replay cache lock");
        while let Some((at, _)) = state.order.front() {
            if at + self.retain_secs > now {
                break;
            }
            if let Some((_, old)) = state.order.pop_front() {
                state.seen.remove(&old);
            }
        }
        if !state.seen.insert(jti.to_owned()) {
            return false;
        }
        state.order.push_back((now, jti.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const URL: &str = "https://hub.example/token";

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A proof signed with an Ed25519 key, with the given `alg` name, extra jwk members and `htm`.
    fn proof(key: &SigningKey, alg: &str, extra_jwk: serde_json::Value, htm: &str) -> String {
        let mut jwk = serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": b64(&key.verifying_key().to_bytes())
        });
        if let (Some(jwk), Some(extra)) = (jwk.as_object_mut(), extra_jwk.as_object()) {
            jwk.extend(extra.clone());
        }
        let header = serde_json::json!({ "typ": "dpop+jwt", "alg": alg, "jwk": jwk });
        let claims = serde_json::json!({ "htm": htm, "htu": URL, "iat": 1000, "jti": "j1" });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&signature.to_bytes()))
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    #[test]
    fn ed25519_is_accepted_under_both_its_names() {
        let none = serde_json::json!({});
        let eddsa = verify(
            &proof(&key(), "EdDSA", none.clone(), "POST"),
            "POST",
            URL,
            1000,
            None,
        );
        let ed25519 = verify(
            &proof(&key(), "Ed25519", none, "POST"),
            "POST",
            URL,
            1000,
            None,
        );
        assert_eq!(eddsa.unwrap().jkt, ed25519.unwrap().jkt);
    }

    #[test]
    fn other_algorithms_get_a_clear_unsupported_alg_error() {
        for alg in ["none", "HS256", "RS256", "ES384", "ed25519"] {
            let e = verify(
                &proof(&key(), alg, serde_json::json!({}), "POST"),
                "POST",
                URL,
                1000,
                None,
            )
            .unwrap_err();
            assert!(e.0.contains("unsupported DPoP alg"), "{alg}: {e}");
        }
        let e = verify(
            &proof(&key(), "ES256", serde_json::json!({}), "POST"),
            "POST",
            URL,
            1000,
            None,
        )
        .unwrap_err();
        assert!(e.0.contains("does not fit the alg"), "{e}");
    }

    #[test]
    fn only_solid_proofs_may_leave_out_ath_and_none_may_carry_a_wrong_one() {
        let none = serde_json::json!({});
        let without = proof(&key(), "EdDSA", none, "GET");
        let err = verify(&without, "GET", URL, 1000, Some("token")).unwrap_err();
        assert!(err.0.contains("ath"), "{}", err.0);
        assert!(verify_solid(&without, "GET", URL, 1000, "token").is_ok());
        // A proof with the ath of another token is refused on both paths.
        let header = serde_json::json!({ "typ": "dpop+jwt", "alg": "EdDSA", "jwk": {
            "kty": "OKP", "crv": "Ed25519", "x": b64(&key().verifying_key().to_bytes()) } });
        let claims = serde_json::json!({ "htm": "GET", "htu": URL, "iat": 1000, "jti": "j2",
            "ath": token_hash("another token") });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let wrong = format!("{input}.{}", b64(&key().sign(input.as_bytes()).to_bytes()));
        assert!(verify_solid(&wrong, "GET", URL, 1000, "token").is_err());
        assert!(verify(&wrong, "GET", URL, 1000, Some("token")).is_err());
    }

    #[test]
    fn htm_is_compared_case_sensitively() {
        let p = proof(&key(), "EdDSA", serde_json::json!({}), "post");
        let e = verify(&p, "POST", URL, 1000, None).unwrap_err();
        assert!(e.0.contains("htm"), "{e}");
    }

    #[test]
    fn a_jwk_with_private_parts_is_refused() {
        let d = serde_json::json!({ "d": b64(&key().to_bytes()) });
        let e = verify(&proof(&key(), "EdDSA", d, "POST"), "POST", URL, 1000, None).unwrap_err();
        assert!(e.0.contains("private key material"), "{e}");
    }

    #[test]
    fn a_tampered_proof_is_refused() {
        let p = proof(&key(), "EdDSA", serde_json::json!({}), "POST");
        let other = proof(
            &SigningKey::from_bytes(&[8; 32]),
            "EdDSA",
            serde_json::json!({}),
            "POST",
        );
        let forged = format!(
            "{}.{}",
            &p[..p.rfind('.').unwrap()],
            &other[other.rfind('.').unwrap() + 1..]
        );
        assert!(verify(&forged, "POST", URL, 1000, None).is_err());
    }

    #[test]
    fn es256_proofs_verify_and_a_changed_byte_does_not() {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        let point = key.public_key().as_ref();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        let header = serde_json::json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": jwk });
        let claims = serde_json::json!({ "htm": "POST", "htu": URL, "iat": 1000, "jti": "e1" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = key.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec();
        let good = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
        assert!(verify(&good, "POST", URL, 1000, None).is_ok());
        sig[10] ^= 1;
        let bad = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
        let err = verify(&bad, "POST", URL, 1000, None).unwrap_err();
        assert!(err.to_string().contains("signature is invalid"), "{err}");
    }

    #[test]
    fn ids_are_refused_while_retained_and_forgotten_after() {
        let cache = ReplayCache::new(120);
        assert!(cache.first_use("a", 1000));
        assert!(!cache.first_use("a", 1100));
        assert!(cache.first_use("b", 1100));
        assert!(cache.first_use("a", 1121), "a is forgotten after 120 s");
        assert!(!cache.first_use("b", 1200));
    }
}
