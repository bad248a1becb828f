// The hub's OAuth 2.1 / OpenID Connect flows driven by panva's openid-client (v6, on oauth4webapi),
// an implementation we did not write. Usage: node flows.mjs CONFIG.json (written by
// tests/it/independent_clients.rs: issuer, the paths of the hub's login and consent pages, worker,
// client credentials, private keys).
// Prints one JSON line per flow, {"flow", "ok", "error"}; exits 1 if any flow failed.
//
// The browser step (login and consent) is plain fetch: redirects are followed by hand, cookies
// (op_browser, op_session) kept, the hub's forms posted with their hidden fields (csrf, next,
// request), and the code read from the final redirect, which is never followed.

import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import * as jose from 'jose';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = new URL(cfg.issuer);
const insecure = { execute: [client.allowInsecureRequests] };

/** A browser: a cookie jar and manual redirects. */
class Browser {
  cookies = new Map();

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
    return res;
  }
}

const unescape = (s) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hub's login or consent form in `html`: its action and hidden fields. */
function hubForm(html) {
  for (const [, attrs, body] of html.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(attrs)?.[1];
    if (action !== cfg.routes.login && action !== cfg.routes.consent) continue;
    const fields = new URLSearchParams();
    for (const [input] of body.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input)?.[1];
      const value = /value="([^"]*)"/.exec(input)?.[1];
      if (/type="hidden"/.test(input) && name) fields.set(name, unescape(value ?? ''));
    }
    return { action, fields };
  }
  throw new Error(`no login or consent form on the page: ${html.slice(0, 300)}`);
}

/** Opens the authorization URL, logs in and allows as needed; returns the client's callback URL. */
async function authorizeInBrowser(browser, authorizationUrl) {
  let url = new URL(authorizationUrl);
  let res = await browser.request(url);
  for (let hops = 0; hops < 10; hops++) {
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.href.startsWith(cfg.redirect_uri)) return url;
      res = await browser.request(url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${url.pathname} answered ${res.status}: ${html.slice(0, 300)}`);
    const { action, fields } = hubForm(html);
    if (!fields.get('csrf')) throw new Error(`the ${action} form has no csrf field`);
    if (action === cfg.routes.login) {
      fields.set('username', cfg.username);
      fields.set('password', cfg.password);
    } else {
      fields.set('decision', 'allow');
    }
    url = new URL(action, issuer);
    res = await browser.request(url, { method: 'POST', body: fields });
  }
  throw new Error('too many redirects');
}

const expect = (cond, message) => {
  if (!cond) throw new Error(message);
};

/** The OAuth error code of a refused call (openid-client's ResponseBodyError), or a throw. */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    if (e instanceof client.ResponseBodyError) return e.error;
    throw e;
  }
  throw new Error('the hub accepted what it should have refused');
}

/** Code + PKCE (S256) with state and nonce, through the browser; the ID token is validated. */
async function codeFlow(config, scope, options) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri,
    scope,
    resource: cfg.resource,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await authorizeInBrowser(browser, url);
  expect(callback.searchParams.get('iss') === cfg.issuer, 'the authorization response lacks iss (RFC 9207)');
  return client.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
    undefined,
    options,
  );
}

async function discover(id, auth) {
  const config = await client.discovery(issuer, id, undefined, auth, insecure);
  // ID tokens' signatures are checked against the hub's JWKS, not only their claims.
  client.enableNonRepudiationChecks(config);
  return config;
}

const browser = new Browser();
const s = {};
const introspect = async (token) => client.tokenIntrospection(s.rs, token);

async function dpopFlow(alg, config) {
  const keys = await client.randomDPoPKeyPair(alg);
  const DPoP = client.getDPoPHandle(config, keys);
  const tokens = await codeFlow(config, 'openid offline_access', { DPoP });
  expect(tokens.token_type.toLowerCase() === 'dpop', `token_type is ${tokens.token_type}`);
  const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keys.publicKey));
  const seen = await introspect(tokens.access_token);
  expect(seen.active && seen.cnf?.jkt === jkt, `the token is not bound to the key: ${JSON.stringify(seen)}`);
  await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
  const renewed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  expect(renewed.token_type.toLowerCase() === 'dpop', 'the refreshed token is not DPoP-bound');
  return renewed;
}

async function keyedClientCredentials(jwk) {
  const key = await jose.importJWK(jwk, jwk.alg);
  const config = await discover(cfg.private_key_jwt.client_id, client.PrivateKeyJwt({ key, kid: jwk.kid }));
  const tokens = await client.clientCredentialsGrant(config);
  const seen = await introspect(tokens.access_token);
  expect(seen.active && seen.client_id === cfg.private_key_jwt.client_id, JSON.stringify(seen));
  await client.tokenRevocation(config, tokens.access_token);
  expect(!(await introspect(tokens.access_token)).active, 'the revoked token is still active');
}

const flows = [
  ['discovery', async () => {
    s.conf = await discover(cfg.confidential.client_id, client.ClientSecretBasic(cfg.confidential.client_secret));
    s.pub = await discover(cfg.public.client_id, client.None());
    s.rs = await discover(cfg.resource_server.client_id, client.ClientSecretBasic(cfg.resource_server.client_secret));
    const meta = s.conf.serverMetadata();
    expect(meta.issuer === cfg.issuer, `issuer ${meta.issuer}`);
    expect(meta.code_challenge_methods_supported?.includes('S256'), 'S256 not advertised');
    expect(meta.authorization_response_iss_parameter_supported === true, 'RFC 9207 not advertised');
  }],
  ['code_pkce_confidential', async () => {
    s.tokens = await codeFlow(s.conf, 'openid webid offline_access gig:read:summary');
    expect(s.tokens.refresh_token, 'no refresh token');
  }],
  ['id_token', async () => {
    const claims = s.tokens.claims();
    expect(claims.iss === cfg.issuer && claims.aud === cfg.confidential.client_id, JSON.stringify(claims));
    expect(claims.webid === claims.sub && claims.sub.startsWith(cfg.issuer), `sub ${claims.sub}`);
  }],
  ['userinfo', async () => {
    const info = await client.fetchUserInfo(s.conf, s.tokens.access_token, s.tokens.claims().sub);
    expect(info.webid === s.tokens.claims().sub, JSON.stringify(info));
  }],
  ['introspection', async () => {
    const seen = await introspect(s.tokens.access_token);
    expect(seen.active && seen.client_id === cfg.confidential.client_id, JSON.stringify(seen));
  }],
  ['refresh_rotation', async () => {
    const old = s.tokens.refresh_token;
    s.tokens = await client.refreshTokenGrant(s.conf, old);
    expect(s.tokens.refresh_token && s.tokens.refresh_token !== old, 'the refresh token did not rotate');
    const reuse = await refusal(client.refreshTokenGrant(s.conf, old));
    expect(reuse === 'invalid_grant', `reusing a rotated refresh token gave ${reuse}`);
    // Reuse revokes the whole grant: the newest refresh token dies with it.
    const newest = await refusal(client.refreshTokenGrant(s.conf, s.tokens.refresh_token));
    expect(newest === 'invalid_grant', `after reuse the newest refresh token gave ${newest}`);
  }],
  ['revocation', async () => {
    const tokens = await codeFlow(s.conf, 'openid offline_access gig:read:summary');
    expect((await introspect(tokens.access_token)).active, 'a fresh token is inactive');
    await client.tokenRevocation(s.conf, tokens.refresh_token);
    expect(!(await introspect(tokens.access_token)).active, 'the access token outlived its grant');
    const after = await refusal(client.refreshTokenGrant(s.conf, tokens.refresh_token));
    expect(after === 'invalid_grant', `a revoked refresh token gave ${after}`);
  }],
  ['code_pkce_public', async () => {
    const tokens = await codeFlow(s.pub, 'openid offline_access pod:owner');
    expect(tokens.claims().aud === cfg.public.client_id, 'ID token audience');
    const renewed = await client.refreshTokenGrant(s.pub, tokens.refresh_token);
    expect(renewed.access_token && renewed.refresh_token !== tokens.refresh_token, 'no rotation');
    await client.tokenRevocation(s.pub, renewed.refresh_token);
  }],
  ['dpop_eddsa', async () => {
    const renewed = await dpopFlow('EdDSA', s.pub);
    // A public client's refresh token works only with a proof by its key.
    const bare = await refusal(client.refreshTokenGrant(s.pub, renewed.refresh_token));
    expect(bare === 'invalid_dpop_proof', `a refresh without a proof gave ${bare}`);
  }],
  ['dpop_es256', async () => {
    await dpopFlow('ES256', s.conf);
  }],
  ['client_credentials', async () => {
    const config = await discover(cfg.service.client_id, client.ClientSecretBasic(cfg.service.client_secret));
    const tokens = await client.clientCredentialsGrant(config);
    expect(!tokens.id_token && !tokens.refresh_token, 'client_credentials issued user tokens');
    const seen = await introspect(tokens.access_token);
    expect(seen.active && seen.client_id === cfg.service.client_id, JSON.stringify(seen));
    await client.tokenRevocation(config, tokens.access_token);
    expect(!(await introspect(tokens.access_token)).active, 'the revoked token is still active');
  }],
  ['private_key_jwt_eddsa', () => keyedClientCredentials(cfg.private_key_jwt.keys[0])],
  ['private_key_jwt_es256', () => keyedClientCredentials(cfg.private_key_jwt.keys[1])],
];

let failed = false;
for (const [flow, run] of flows) {
  try {
    await run();
    console.log(JSON.stringify({ flow, ok: true }));
  } catch (e) {
    failed = true;
    const detail = e instanceof client.ResponseBodyError ? `${e.error}: ${e.error_description}` : '';
    console.log(JSON.stringify({ flow, ok: false, error: `${e?.message ?? e} ${detail}`.trim() }));
    if (e?.stack) console.error(flow, e.stack, e.cause ?? '');
  }
}
process.exit(failed ? 1 : 0);
