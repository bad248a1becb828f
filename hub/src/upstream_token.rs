//! The relying-party half of an upstream login (`crate::upstream`): the code exchanged at the
//! provider's token endpoint (`client_secret_basic`, PKCE verifier), and its ID token checked —
//! signature by a key the provider publishes, `iss`, `aud` (and `azp` when there are several
//! audiences), `exp`, `iat` and the `nonce` this login sent — before its `sub` is believed.

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;

use crate::state::Hub;
use crate::upstream::{PendingLogin, Provider, UpstreamError};

/// Clock skew tolerated on the ID token's times, seconds.
const LEEWAY_SECS: u64 = 60;

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    azp: Option<String>,
    aud: crate::solid::Audience,
}

/// The subject the provider vouches for, once its ID token checks out.
pub async fn subject(
    hub: &Hub,
    provider: &Provider,
    code: &str,
    pending: &PendingLogin,
) -> Result<String, UpstreamError> {
    let failed = |e: String| UpstreamError::Provider(provider.name.clone(), e);
    let (token_endpoint, jwks_uri) = crate::upstream::endpoints(hub, provider).await?;
    let redirect_uri = hub.url(op_protocol::routes::HUB_LOGIN_UPSTREAM_CALLBACK);
    // RFC 6749 §2.3.1: each part form-encoded before Basic.
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let res = hub
        .http
        .post(&token_endpoint)
        .basic_auth(
            encode(&provider.client_id),
            Some(encode(&provider.client_secret)),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", pending.verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| failed(format!("its token endpoint cannot be reached: {e}")))?;
    if !res.status().is_success() {
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        return Err(failed(format!(
            "its token endpoint answered HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        )));
    }
    let answer: TokenAnswer = res
        .json()
        .await
        .map_err(|e| failed(format!("its token response: {e}")))?;
    let id_token = answer
        .id_token
        .ok_or_else(|| failed("its token response has no id_token".into()))?;
    let keys: JwkSet = serde_json::from_value(
        op_document::get_json(&hub.http, &jwks_uri, None)
            .await
            .map_err(failed)?,
    )
    .map_err(|e| failed(format!("its JWKS: {e}")))?;
    let claims = check(&id_token, &keys, provider, hub.now()).map_err(failed)?;
    if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
        return Err(failed("the ID token's nonce is not this login's".into()));
    }
    Ok(claims.sub)
}

/// Signature, issuer, audience and times of an ID token.
fn check(token: &str, keys: &JwkSet, provider: &Provider, now: u64) -> Result<IdClaims, String> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| format!("the ID token is not a JWT: {e}"))?;
    if !crate::upstream::algorithms().contains(&header.alg) {
        return Err(format!(
            "the ID token is signed with {:?}, which is not accepted",
            header.alg
        ));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None => keys.keys.first().filter(|_| keys.keys.len() == 1),
    }
    .ok_or("the ID token's key is not among the provider's keys")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[&provider.issuer, &format!("{}/", provider.issuer)]);
    validation.set_audience(&[&provider.client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map_err(|e| format!("the ID token was refused: {e}"))?;
    let exp = data.claims.get("exp").and_then(|v| v.as_u64()).unwrap_or(0);
    let iat = data.claims.get("iat").and_then(|v| v.as_u64()).unwrap_or(0);
    if exp + LEEWAY_SECS < now || iat > now + LEEWAY_SECS {
        return Err("the ID token has expired or is not valid yet".into());
    }
    let claims: IdClaims =
        serde_json::from_value(data.claims).map_err(|e| format!("the ID token's claims: {e}"))?;
    if let crate::solid::Audience::Many(auds) = &claims.aud
        && auds.len() > 1
        && claims.azp.as_deref() != Some(provider.client_id.as_str())
    {
        return Err("the ID token has several audiences and its azp is not this hub".into());
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use ed25519_dalek::pkcs8::EncodePrivateKey;

    const NOW: u64 = 1_800_000_000;

    fn provider() -> Provider {
        Provider {
            name: "e-ID".into(),
            issuer: "https://idp.example".into(),
            client_id: "hub".into(),
            client_secret: "s".into(),
        }
    }

    /// A key, its JWKS, and an ID token it signs with `claims`.
    fn signed(claims: serde_json::Value) -> (String, JwkSet) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let x =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let jwks = serde_json::from_value(serde_json::json!({ "keys": [
            { "kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA" }
        ]}))
        .unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("k1".into());
        let encoding = jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes());
        (
            jsonwebtoken::encode(&header, &claims, &encoding).unwrap(),
            jwks,
        )
    }

    fn claims() -> serde_json::Value {
        serde_json::json!({ "iss": "https://idp.example", "aud": "hub", "sub": "alice-eid",
            "iat": NOW, "exp": NOW + 300, "nonce": "n1" })
    }

    #[test]
    fn a_good_id_token_gives_its_subject_and_a_bad_one_says_why() {
        let (token, jwks) = signed(claims());
        assert_eq!(
            check(&token, &jwks, &provider(), NOW).unwrap().sub,
            "alice-eid"
        );
        let refused = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims();
            change(&mut c);
            let (token, jwks) = signed(c);
            check(&token, &jwks, &provider(), NOW).unwrap_err()
        };
        assert!(refused(&|c| c["aud"] = "another-client".into()).contains("refused"));
        assert!(refused(&|c| c["iss"] = "https://evil.example".into()).contains("refused"));
        assert!(refused(&|c| c["exp"] = (NOW - 600).into()).contains("expired"));
        assert!(
            refused(&|c| c["aud"] = serde_json::json!(["hub", "other"])).contains("azp"),
            "several audiences need azp"
        );
        // A signature by another key.
        let (token, _) = signed(claims());
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(other.verifying_key().to_bytes());
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [
            { "kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA" }
        ]}))
        .unwrap();
        assert!(check(&token, &jwks, &provider(), NOW).is_err());
    }
}
