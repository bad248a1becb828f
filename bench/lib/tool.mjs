// Helpers for the benchmark scripts: keys, tokens, DPoP proofs, CSS and hub set-up, and the two
// load clients a generic tool cannot be (rotating refresh tokens; revocation latency).
// Node 20, no dependencies: node:crypto signs EdDSA and ES256 itself.
import crypto from 'node:crypto';
import fs from 'node:fs';

const b64u = (b) => Buffer.from(b).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const args = process.argv.slice(2);
const cmd = args.shift();
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) { if (dflt === undefined) throw new Error(`--${name} is required`); return dflt; }
  return args[i + 1];
};

function jws(header, payload, key) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const alg = header.alg;
  const sig = alg === 'EdDSA'
    ? crypto.sign(null, Buffer.from(input), key)
    : crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

function thumbprint(jwk) {
  const members = jwk.kty === 'EC'
    ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return b64u(crypto.createHash('sha256').update(JSON.stringify(members)).digest());
}

function loadKey(file) {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { ...saved, key: crypto.createPrivateKey({ key: saved.private, format: 'jwk' }) };
}

function newKey(kind) {
  const { privateKey } = kind === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('ed25519');
  const priv = privateKey.export({ format: 'jwk' });
  const pub = { ...priv }; delete pub.d;
  return { alg: kind, private: priv, public: pub, jkt: thumbprint(pub) };
}

function accessToken(key, kid, c) {
  const t = now();
  const claims = {
    iss: c.iss, sub: c.webid, webid: c.webid, aud: c.aud, client_id: c.client, scope: c.scope,
    jti: crypto.randomUUID(), iat: t, exp: t + Number(c.ttl || 3600),
  };
  if (c.jkt) claims.cnf = { jkt: c.jkt };
  // what the hub writes for a matcher's plain gig:read: full read of every platform, this pod
  if (c.scope.split(' ').includes('gig:read')) {
    claims.authorization_details = [{ type: 'gig_data', actions: ['read'], locations: [c.aud], level: 'full',
      purpose: 'Benchmark' }];
  }
  return jws({ typ: 'at+jwt', alg: 'EdDSA', kid }, claims, key);
}

function proof(dkey, htm, htu, token) {
  const p = { htm, htu, iat: now(), jti: crypto.randomUUID() };
  if (token) p.ath = b64u(crypto.createHash('sha256').update(token).digest());
  return jws({ typ: 'dpop+jwt', alg: dkey.alg, jwk: dkey.public }, p, dkey.key);
}

// ---- a tiny cookie-keeping HTTP client for our hub's login and consent pages ----
class Browser {
  constructor() { this.cookies = new Map(); }
  async req(url, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';'); const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
    }
    return res;
  }
  async form(url, fields) {
    return this.req(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString() });
  }
}
const csrfOf = (html) => (html.match(/name="csrf"[^>]*value="([^"]+)"/) || html.match(/value="([^"]+)"[^>]*name="csrf"/) || [])[1];
const abs = (base, loc) => new URL(loc, base).toString();

// Logs the demo worker in once (returns the browser) and runs one authorization code flow for
// the worker app: returns the token response. Consent is answered when the hub asks.
async function ownerFlow(demo, browser, dpopKey, scope = 'openid webid offline_access pod:owner') {
  const app = demo.worker_app;
  const verifier = b64u(crypto.randomBytes(32));
  const challenge = b64u(crypto.createHash('sha256').update(verifier).digest());
  const q = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: app.redirect_uri,
    scope, resource: demo.worker.pod, state: 's',
    code_challenge: challenge, code_challenge_method: 'S256' });
  let res = await browser.req(`${demo.hub_url.replace(/\/$/, '')}/authorize?${q}`);
  for (let hop = 0; hop < 10; hop++) {
    if (res.status < 300 || res.status >= 400) throw new Error(`flow: unexpected ${res.status} ${await res.text()}`);
    const loc = abs(demo.hub_url, res.headers.get('location'));
    if (loc.startsWith(app.redirect_uri)) {
      const code = new URL(loc).searchParams.get('code');
      if (!code) throw new Error(`flow: no code in ${loc}`);
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const tokenUrl = `${demo.hub_url.replace(/\/$/, '')}/token`;
      if (dpopKey) headers.dpop = proof(dpopKey, 'POST', tokenUrl);
      const t = await fetch(tokenUrl, { method: 'POST', headers, body: new URLSearchParams({
        grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: app.redirect_uri,
        client_id: app.client_id }).toString() });
      const body = await t.json();
      if (!t.ok) throw new Error(`token: ${t.status} ${JSON.stringify(body)}`);
      return body;
    }
    if (process.env.BENCH_TRACE) console.error('flow:', res.status, loc);
    const page = await browser.req(loc);
    const html = await page.text();
    if (process.env.BENCH_TRACE) console.error('page:', page.status);
    const u = new URL(loc);
    if (page.status >= 300 && page.status < 400) {
      res = page; // e.g. an existing grant covers the request: straight back with a code
    } else if (u.pathname.endsWith('/login')) {
      res = await browser.form(loc, { csrf: csrfOf(html), username: demo.worker.username,
        password: demo.worker.password, next: u.searchParams.get('next') || '' });
    } else if (u.pathname.endsWith('/consent')) {
      res = await browser.form(loc, { csrf: csrfOf(html), request: u.searchParams.get('request'), decision: 'allow' });
    } else {
      throw new Error(`flow: unexpected page ${loc} ${page.status}`);
    }
  }
  throw new Error('flow: too many redirects');
}

// CPU time (utime+stime, clock ticks at 100 Hz) and peak VmRSS of a server process while a
// load runs, as bench/lib/common.sh measures them around wrk.
function serverWatch(pid) {
  if (!pid) return { stop: () => ({}) };
  const ticks = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
  const rss = () => Number((fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/) || [0, 0])[1]);
  const t0 = ticks(); let peak = rss();
  const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 50);
  return { stop: (requests) => { clearInterval(timer); const cpu = (ticks() - t0) * 10;
    return { cpu_ms_per_req: cpu / Math.max(requests, 1), cpu_s: cpu / 1000, peak_rss_mib: Math.max(peak, rss()) / 1024 }; } };
}

function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] : NaN; }

const commands = {
  // key --kind EdDSA|ES256 --out FILE [--jwks FILE --kid KID]
  key() {
    const k = newKey(opt('kind', 'EdDSA'));
    const kid = opt('kid', 'bench-1');
    fs.writeFileSync(opt('out'), JSON.stringify({ ...k, kid }));
    const jwks = opt('jwks', '');
    if (jwks) fs.writeFileSync(jwks, JSON.stringify({ keys: [{ ...k.public, kid, alg: 'EdDSA', use: 'sig' }] }));
    console.log(k.jkt);
  },
  // token --key FILE --iss --aud --webid --client --scope [--jkt] [--ttl]
  token() {
    const k = loadKey(opt('key'));
    console.log(accessToken(k.key, k.kid, { iss: opt('iss'), aud: opt('aud'), webid: opt('webid'),
      client: opt('client'), scope: opt('scope'), jkt: opt('jkt', ''), ttl: opt('ttl', 3600) }));
  },
  // tokens --key --iss --base URL --pods N --prefix P --scope S --client C --out FILE (one per pod, owner)
  tokens() {
    const k = loadKey(opt('key'));
    const base = opt('base').replace(/\/$/, ''); const n = Number(opt('pods')); const prefix = opt('prefix');
    const lines = [];
    for (let i = 0; i < n; i++) {
      const root = `${base}/${prefix}${i}/`;
      lines.push(accessToken(k.key, k.kid, { iss: opt('iss'), aud: root, webid: `${root}profile/card#me`,
        client: opt('client'), scope: opt('scope'), ttl: opt('ttl', 7200) }));
    }
    fs.writeFileSync(opt('out'), lines.join('\n') + '\n');
  },
  // proofs --dkey FILE --htm GET --htu URL --token T --n N --out PREFIX --files K : K files of fresh proofs
  proofs() {
    const dk = loadKey(opt('dkey')); const n = Number(opt('n')); const files = Number(opt('files', 2));
    const htm = opt('htm'); const htu = opt('htu'); const token = opt('token');
    for (let f = 0; f < files; f++) {
      const out = [];
      for (let i = 0; i < Math.ceil(n / files); i++) out.push(proof(dk, htm, htu, token));
      fs.writeFileSync(`${opt('out')}.${f + 1}`, out.join('\n') + '\n');
    }
  },
  // css-setup --base http://localhost:PORT/ --dkey FILE --out FILE : account, pod "bench", client
  // credentials, and a DPoP-bound access token from CSS's own token endpoint.
  async 'css-setup'() {
    const base = opt('base'); const dk = loadKey(opt('dkey'));
    const j = async (url, init = {}) => {
      const r = await fetch(url, init); const t = await r.text();
      if (!r.ok) throw new Error(`${init.method || 'GET'} ${url}: ${r.status} ${t}`);
      return t ? JSON.parse(t) : {};
    };
    const json = (auth, body) => ({ method: 'POST', headers: { 'content-type': 'application/json',
      ...(auth ? { authorization: `CSS-Account-Token ${auth}` } : {}) }, body: JSON.stringify(body || {}) });
    let { controls } = await j(`${base}.account/`);
    const { authorization } = await j(controls.account.create, json(null, {}));
    ({ controls } = await j(`${base}.account/`, { headers: { authorization: `CSS-Account-Token ${authorization}` } }));
    await j(controls.password.create, json(authorization, { email: 'bench@example.org', password: 'bench-password-1' }));
    const pod = await j(controls.account.pod, json(authorization, { name: 'bench' }));
    const webId = pod.webId || `${base}bench/profile/card#me`;
    const cc = await j(controls.account.clientCredentials, json(authorization, { name: 'bench', webId }));
    const tokenUrl = `${base}.oidc/token`;
    const tr = await j(tokenUrl, { method: 'POST', headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(cc.id)}:${encodeURIComponent(cc.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded', dpop: proof(dk, 'POST', tokenUrl) },
      body: 'grant_type=client_credentials&scope=webid' });
    fs.writeFileSync(opt('out'), JSON.stringify({ pod: pod.pod || `${base}bench/`, webId, token: tr.access_token,
      token_type: tr.token_type, expires_in: tr.expires_in }));
  },
  // owner-token --demo demo.json [--dpop-key FILE] [--scope S] : one token response of the worker
  // app for the demo worker's pod (scope by default `openid webid offline_access pod:owner`)
  async 'owner-token'() {
    const demo = JSON.parse(fs.readFileSync(opt('demo'), 'utf8'));
    const dkf = opt('dpop-key', '');
    const scope = opt('scope', 'openid webid offline_access pod:owner');
    console.log(JSON.stringify(await ownerFlow(demo, new Browser(), dkf ? loadKey(dkf) : null, scope)));
  },
  // refresh-load --demo demo.json --connections C --duration S : C chains of rotating refresh
  // tokens, each a sequential loop of POST /token grant_type=refresh_token.
  async 'refresh-load'() {
    const demo = JSON.parse(fs.readFileSync(opt('demo'), 'utf8'));
    const c = Number(opt('connections')); const dur = Number(opt('duration')) * 1000;
    const browser = new Browser(); const chains = [];
    for (let i = 0; i < c; i++) chains.push((await ownerFlow(demo, browser)).refresh_token);
    const tokenUrl = `${demo.hub_url.replace(/\/$/, '')}/token`;
    const lat = []; let errors = 0; let ok = 0;
    const watch = serverWatch(opt('pid', ''));
    const start = performance.now(); const end = start + dur;
    await Promise.all(chains.map(async (rt) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const r = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `grant_type=refresh_token&client_id=${encodeURIComponent(demo.worker_app.client_id)}&refresh_token=${encodeURIComponent(rt)}` });
          const body = await r.json();
          lat.push(performance.now() - t0);
          if (r.ok && body.refresh_token) { rt = body.refresh_token; ok++; } else { errors++; break; }
        } catch (e) { errors++; break; }
      }
    }));
    const secs = (performance.now() - start) / 1000;
    lat.sort((a, b) => a - b);
    console.log(JSON.stringify({ requests: ok + errors, rps: (ok + errors) / secs, p50_ms: pct(lat, 50),
      p99_ms: pct(lat, 99), max_ms: lat[lat.length - 1], errors, secs, ...watch.stop(ok + errors) }));
  },
  // revocation --demo demo.json --iterations N : per iteration, a fresh grant; a poller GETs the
  // pod with its access token back to back; time from the start of POST /revoke (the refresh
  // token, RFC 7009) to the pod's first 401.
  async revocation() {
    const demo = JSON.parse(fs.readFileSync(opt('demo'), 'utf8'));
    const n = Number(opt('iterations')); const browser = new Browser();
    const hub = demo.hub_url.replace(/\/$/, ''); const url = `${demo.worker.pod}`;
    const samples = []; let revokeCall = [];
    for (let i = 0; i < n; i++) {
      const t = await ownerFlow(demo, browser);
      const auth = { authorization: `Bearer ${t.access_token}` };
      const pre = await fetch(url, { headers: auth }); await pre.arrayBuffer();
      if (pre.status !== 200) throw new Error(`pod answered ${pre.status} before revocation`);
      let t0 = 0; let first401 = 0; let stop = false;
      const poller = (async () => {
        while (!stop) {
          const r = await fetch(url, { headers: auth }); await r.arrayBuffer();
          if (r.status === 401 && t0) { first401 = performance.now(); return; }
          if (r.status !== 200 && r.status !== 401) throw new Error(`pod answered ${r.status}`);
        }
      })();
      await new Promise((r) => setTimeout(r, 20));
      t0 = performance.now();
      const rv = await fetch(`${hub}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(t.refresh_token)}&token_type_hint=refresh_token&client_id=${encodeURIComponent(demo.worker_app.client_id)}` });
      await rv.arrayBuffer();
      revokeCall.push(performance.now() - t0);
      if (rv.status !== 200) throw new Error(`revoke answered ${rv.status}`);
      const timeout = setTimeout(() => { stop = true; }, 5000);
      await poller; clearTimeout(timeout);
      samples.push(first401 ? first401 - t0 : Infinity);
    }
    samples.sort((a, b) => a - b); revokeCall.sort((a, b) => a - b);
    console.log(JSON.stringify({ iterations: n, p50_ms: pct(samples, 50), p99_ms: pct(samples, 99),
      max_ms: samples[samples.length - 1], min_ms: samples[0], revoke_call_p50_ms: pct(revokeCall, 50),
      timeouts: samples.filter((s) => s === Infinity).length }));
  },
};

// seed --base URL --prefix P --pods N --per-pod M --tokens FILE --admin TOKEN --concurrency C
// [--skip-pods]: creates pods P0..P{N-1} through the admin API, then PUTs M copies of the record
// into each (/P{i}/gigs/acme/r{j}) with pod i's owner token; prints progress and the rates.
commands.seed = async () => {
  const base = opt('base').replace(/\/$/, ''); const prefix = opt('prefix');
  const pods = Number(opt('pods')); const per = Number(opt('per-pod'));
  const conc = Number(opt('concurrency', 64)); const admin = opt('admin');
  const tokens = fs.readFileSync(opt('tokens'), 'utf8').trim().split('\n');
  const body = fs.readFileSync(opt('record'));
  const pool = async (total, fn) => {
    let next = 0; let errors = 0;
    await Promise.all(Array.from({ length: conc }, async () => {
      for (let k = next++; k < total; k = next++) {
        for (let attempt = 0; ; attempt++) {
          try { const r = await fn(k); await r.arrayBuffer(); if (r.status < 300) break; throw new Error(`status ${r.status}`); }
          catch (e) { if (attempt >= 3) { errors++; if (errors < 5) console.error(String(e)); break; } }
        }
      }
    }));
    return errors;
  };
  let t0 = performance.now();
  const podErrors = await pool(pods, (i) => fetch(`${base}/.admin/pods`, { method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `${prefix}${i}` }) }));
  const podSecs = (performance.now() - t0) / 1000;
  console.error(`pods: ${pods} in ${podSecs.toFixed(1)} s, ${podErrors} errors`);
  t0 = performance.now();
  const total = pods * per; let done = 0; let last = t0;
  const recErrors = await pool(total, (k) => {
    const i = k % pods; const j = Math.floor(k / pods);
    if (++done % 20000 === 0) { const t = performance.now(); console.error(`records: ${done}/${total}, ${(20000 / ((t - last) / 1000)).toFixed(0)}/s`); last = t; }
    return fetch(`${base}/${prefix}${i}/gigs/acme/r${j}`, { method: 'PUT',
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'text/turtle' }, body });
  });
  const recSecs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ pods, pod_secs: podSecs, pod_errors: podErrors, records: total,
    record_secs: recSecs, records_per_sec: total / recSecs, record_errors: recErrors }));
};

const f = commands[cmd];
if (!f) { console.error(`unknown command ${cmd}; one of ${Object.keys(commands).join(', ')}`); process.exit(2); }
Promise.resolve(f()).catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
