"""The hub's OAuth 2.1 / OpenID Connect flows driven by Authlib, an implementation we did not write.

Usage: python3 flows.py CONFIG.json (written by tests/it/independent_clients.rs: issuer, the paths
of the hub's login and consent pages and discovery document, worker, client credentials, private
keys). Prints one JSON line per flow, {"flow", "ok", "error"}; exits 1 if any flow failed.

Authlib's OAuth2Session does discovery validation, PKCE, state, client authentication
(client_secret_basic, none, private_key_jwt with its default one-hour assertions), refresh,
revocation and introspection; ID tokens are checked with Authlib's CodeIDToken over joserfc (the
JOSE library Authlib uses). Authlib has no DPoP client, so the DPoP proofs are signed here with
joserfc and sent as the `DPoP` header on Authlib's requests.

The browser step (login and consent) is plain requests: redirects followed by hand, cookies
(op_browser, op_session) kept in a requests.Session, the hub's forms posted with their hidden
fields (csrf, next, request), and the code read from the final redirect, which is never followed.
"""

import base64
import hashlib
import html
import json
import re
import sys
import time
import traceback
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey
from joserfc.jws import JWSRegistry

with open(sys.argv[1], encoding="utf-8") as f:
    CFG = json.load(f)
ROUTES = CFG["routes"]
BROWSER = requests.Session()
STATE = {}


class Failed(Exception):
    """A flow's check did not hold."""


def expect(cond, message):
    if not cond:
        raise Failed(message)


def hub_form(page):
    """The hub's login or consent form on the page: its action and hidden fields."""
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", page, re.S):
        action = re.search(r'action="([^"]*)"', attrs)
        if not action or action.group(1) not in (ROUTES["login"], ROUTES["consent"]):
            continue
        fields = {}
        for tag in re.findall(r"<input[^>]*>", body):
            name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
            if 'type="hidden"' in tag and name:
                fields[name.group(1)] = html.unescape(value.group(1) if value else "")
        return action.group(1), fields
    raise Failed("no login or consent form on the page: " + page[:300])


def authorize_in_browser(url):
    """Opens the authorization URL, logs in and allows as needed; returns the callback URL."""
    res = BROWSER.get(url, allow_redirects=False)
    for _ in range(10):
        location = res.headers.get("location")
        if location:
            url = urljoin(url, location)
            if url.startswith(CFG["redirect_uri"]):
                return url
            res = BROWSER.get(url, allow_redirects=False)
            continue
        expect(res.status_code == 200, f"{url} answered {res.status_code}: {res.text[:300]}")
        action, fields = hub_form(res.text)
        expect(fields.get("csrf"), f"the {action} form has no csrf field")
        if action == ROUTES["login"]:
            fields.update(username=CFG["username"], password=CFG["password"])
        else:
            fields["decision"] = "allow"
        url = urljoin(CFG["issuer"], action)
        res = BROWSER.post(url, data=fields, allow_redirects=False)
    raise Failed("too many redirects")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DPoPKey:
    """A DPoP key (RFC 9449) and the proofs it signs."""

    def __init__(self, alg):
        self.alg = alg
        self.key = OKPKey.generate_key("Ed25519") if alg == "EdDSA" else ECKey.generate_key("P-256")

    def proof(self, method, url, access_token=None):
        claims = {"htm": method, "htu": url, "iat": int(time.time()), "jti": generate_token(24)}
        if access_token:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


def session(client, **kwargs):
    """An Authlib session for one of the configured clients."""
    return OAuth2Session(
        client["client_id"],
        client.get("client_secret"),
        redirect_uri=CFG["redirect_uri"],
        code_challenge_method="S256",
        **kwargs,
    )


def code_flow(client, scope, dpop=None):
    """Code + PKCE (S256), state and nonce through the browser; returns the token and nonce."""
    meta = STATE["meta"]
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=verifier,
        scope=scope,
        nonce=nonce,
        resource=CFG["resource"],
    )
    callback = authorize_in_browser(url)
    expect(parse_qs(urlparse(callback).query).get("iss") == [CFG["issuer"]], "no iss (RFC 9207)")
    headers = {"DPoP": dpop.proof("POST", meta["token_endpoint"])} if dpop else None
    token = client.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
        headers=headers,
    )
    return token, nonce


def id_token_claims(token, client_id, nonce):
    """The ID token checked as Authlib's OpenID clients do: signature, iss, aud, exp, nonce."""
    meta = STATE["meta"]
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    algs = meta["id_token_signing_alg_values_supported"]
    decoded = jwt.decode(token["id_token"], keys, algorithms=algs)
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [CFG["issuer"]]}},
        {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=120)
    return claims


def oauth_error(call):
    """The OAuth error code of a refused call, or Failed if it was accepted."""
    try:
        call()
    except Exception as e:  # Authlib raises its OAuthError with `.error`.
        if getattr(e, "error", None):
            return e.error
        raise
    raise Failed("the hub accepted what it should have refused")


def introspect(token):
    res = STATE["rs"].introspect_token(STATE["meta"]["introspection_endpoint"], token=token)
    expect(res.status_code == 200, f"introspection answered {res.status_code}: {res.text}")
    return res.json()


def revoke(client, token, hint):
    res = client.revoke_token(STATE["meta"]["revocation_endpoint"], token=token, token_type_hint=hint)
    expect(res.status_code == 200, f"revocation answered {res.status_code}: {res.text}")


def userinfo(access_token, dpop=None):
    url = STATE["meta"]["userinfo_endpoint"]
    if dpop:
        headers = {"Authorization": f"DPoP {access_token}", "DPoP": dpop.proof("GET", url, access_token)}
    else:
        headers = {"Authorization": f"Bearer {access_token}"}
    res = requests.get(url, headers=headers, timeout=10)
    expect(res.status_code == 200, f"userinfo answered {res.status_code}: {res.text}")
    return res.json()


class EdDSAProviderMetadata(OpenIDProviderMetadata):
    """OpenID Connect Discovery checks, every one but "RS256 MUST be included": the hub signs ID
    tokens with EdDSA (and ES256 for Solid-OIDC logins) and does no RSA private-key operation
    (docs/HUB.md, "Proven with independent clients"). The algorithms it does list are still
    checked when tokens arrive."""

    def validate_id_token_signing_alg_values_supported(self):
        algs = self.get("id_token_signing_alg_values_supported")
        expect(algs == ["EdDSA", "ES256"], "ID token algs")


def discovery():
    res = requests.get(CFG["issuer"] + ROUTES["oidc_discovery"], timeout=10)
    meta = EdDSAProviderMetadata(res.json())
    meta.validate()
    expect(meta["issuer"] == CFG["issuer"], "issuer")
    expect("S256" in meta["code_challenge_methods_supported"], "S256 not advertised")
    STATE["meta"] = meta
    STATE["rs"] = session(CFG["resource_server"])


def code_pkce_confidential():
    STATE["conf"] = session(CFG["confidential"])
    STATE["token"], STATE["nonce"] = code_flow(STATE["conf"], "openid webid offline_access gig:read:summary")
    expect(STATE["token"].get("refresh_token"), "no refresh token")


def id_token():
    claims = id_token_claims(STATE["token"], CFG["confidential"]["client_id"], STATE["nonce"])
    expect(claims["webid"] == claims["sub"] and claims["sub"].startswith(CFG["issuer"]), claims["sub"])
    STATE["sub"] = claims["sub"]


def userinfo_flow():
    info = userinfo(STATE["token"]["access_token"])
    expect(info["sub"] == STATE["sub"] and info["webid"] == STATE["sub"], json.dumps(info))


def introspection():
    seen = introspect(STATE["token"]["access_token"])
    expect(seen["active"] and seen["client_id"] == CFG["confidential"]["client_id"], json.dumps(seen))


def refresh_rotation():
    conf, old = STATE["conf"], STATE["token"]["refresh_token"]
    new = conf.refresh_token(STATE["meta"]["token_endpoint"], refresh_token=old)
    expect(new.get("refresh_token") and new["refresh_token"] != old, "the refresh token did not rotate")
    endpoint = STATE["meta"]["token_endpoint"]
    reuse = oauth_error(lambda: conf.refresh_token(endpoint, refresh_token=old))
    expect(reuse == "invalid_grant", f"reusing a rotated refresh token gave {reuse}")
    # Reuse revokes the whole grant: the newest refresh token dies with it.
    newest = oauth_error(lambda: conf.refresh_token(endpoint, refresh_token=new["refresh_token"]))
    expect(newest == "invalid_grant", f"after reuse the newest refresh token gave {newest}")


def revocation():
    conf = STATE["conf"]
    token, _ = code_flow(conf, "openid offline_access gig:read:summary")
    expect(introspect(token["access_token"])["active"], "a fresh token is inactive")
    revoke(conf, token["refresh_token"], "refresh_token")
    expect(not introspect(token["access_token"])["active"], "the access token outlived its grant")
    endpoint = STATE["meta"]["token_endpoint"]
    after = oauth_error(lambda: conf.refresh_token(endpoint, refresh_token=token["refresh_token"]))
    expect(after == "invalid_grant", f"a revoked refresh token gave {after}")


def code_pkce_public():
    pub = STATE["pub"] = session(CFG["public"])
    token, nonce = code_flow(pub, "openid offline_access pod:owner")
    id_token_claims(token, CFG["public"]["client_id"], nonce)
    new = pub.refresh_token(STATE["meta"]["token_endpoint"], refresh_token=token["refresh_token"])
    expect(new["refresh_token"] != token["refresh_token"], "the refresh token did not rotate")
    revoke(pub, new["refresh_token"], "refresh_token")


def dpop_flow(client, alg):
    """A DPoP-bound code flow, userinfo and refresh; returns the refreshed token."""
    key, endpoint = DPoPKey(alg), STATE["meta"]["token_endpoint"]
    token, _ = code_flow(client, "openid offline_access", dpop=key)
    expect(token["token_type"].lower() == "dpop", f"token_type {token['token_type']}")
    seen = introspect(token["access_token"])
    expect(seen["active"] and seen.get("cnf", {}).get("jkt") == key.key.thumbprint(), json.dumps(seen))
    userinfo(token["access_token"], dpop=key)
    new = client.refresh_token(
        endpoint, refresh_token=token["refresh_token"], headers={"DPoP": key.proof("POST", endpoint)}
    )
    expect(new["token_type"].lower() == "dpop", "the refreshed token is not DPoP-bound")
    return new


def dpop_eddsa():
    pub, endpoint = STATE["pub"], STATE["meta"]["token_endpoint"]
    new = dpop_flow(pub, "EdDSA")
    # A public client's refresh token works only with a proof by its key.
    bare = oauth_error(lambda: pub.refresh_token(endpoint, refresh_token=new["refresh_token"]))
    expect(bare == "invalid_dpop_proof", f"a refresh without a proof gave {bare}")


def dpop_es256():
    dpop_flow(STATE["conf"], "ES256")


def client_credentials(client, client_id):
    token = client.fetch_token(STATE["meta"]["token_endpoint"], grant_type="client_credentials")
    expect("id_token" not in token and "refresh_token" not in token, "user tokens issued")
    seen = introspect(token["access_token"])
    expect(seen["active"] and seen["client_id"] == client_id, json.dumps(seen))
    revoke(client, token["access_token"], "access_token")
    expect(not introspect(token["access_token"])["active"], "the revoked token is still active")


def keyed_client_credentials(jwk):
    """private_key_jwt with Authlib's own assertions: one-hour lifetime, its jti, its audience."""
    key = (OKPKey if jwk["kty"] == "OKP" else ECKey).import_key(jwk)
    endpoint = STATE["meta"]["token_endpoint"]
    auth = PrivateKeyJWT(endpoint, headers={"kid": jwk["kid"]}, alg=jwk["alg"])
    client_id = CFG["private_key_jwt"]["client_id"]
    client = OAuth2Session(
        client_id, key, token_endpoint_auth_method=auth, revocation_endpoint_auth_method=auth
    )
    client_credentials(client, client_id)


FLOWS = [
    ("discovery", discovery),
    ("code_pkce_confidential", code_pkce_confidential),
    ("id_token", id_token),
    ("userinfo", userinfo_flow),
    ("introspection", introspection),
    ("refresh_rotation", refresh_rotation),
    ("revocation", revocation),
    ("code_pkce_public", code_pkce_public),
    ("dpop_eddsa", dpop_eddsa),
    ("dpop_es256", dpop_es256),
    ("client_credentials", lambda: client_credentials(session(CFG["service"]), CFG["service"]["client_id"])),
    ("private_key_jwt_eddsa", lambda: keyed_client_credentials(CFG["private_key_jwt"]["keys"][0])),
    ("private_key_jwt_es256", lambda: keyed_client_credentials(CFG["private_key_jwt"]["keys"][1])),
]


def main():
    failed = False
    for name, run in FLOWS:
        try:
            run()
            print(json.dumps({"flow": name, "ok": True}), flush=True)
        except Exception as e:  # Every failure is reported as that flow's line, then the next runs.
            failed = True
            print(json.dumps({"flow": name, "ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
