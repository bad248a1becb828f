#!/usr/bin/env node
// Runs the commands of docs/PLATFORMS.md and docs/MATCHERS.md exactly as written against a real
// `openplatforms up --demo`, so the guides cannot drift from the CLI again. Only the guides'
// placeholders are replaced (hosts, client ids and secrets, the callback URL a person would paste,
// a record id), each by what the demo stack has; every other word of a command is the guide's.
//
//   node tests/guides/run.mjs --bin TARGET/debug     # needs openplatforms and opctl built there
//
// Node 20, no packages. Exit 1 on the first command that fails, with its output.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const argBin = process.argv.indexOf('--bin');
const bin = path.resolve(argBin > 0 ? process.argv[argBin + 1] : path.join(repo, 'target', 'debug'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'op-guides-'));
const fail = (msg) => { console.error(`guides: ${msg}`); process.exitCode = 1; throw new Error(msg); };

// ---- the guides' shell blocks: commands (joined across `\` continuations) and expected output ----
function commands(file) {
  const text = fs.readFileSync(path.join(repo, 'docs', file), 'utf8');
  const out = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let pending = '';
    for (const raw of block[1].split('\n')) {
      const line = pending + raw;
      if (line.trimEnd().endsWith('\\')) { pending = line.trimEnd().slice(0, -1) + ' '; continue; }
      pending = '';
      const trimmed = line.trim();
      if (!trimmed) continue;
      if (trimmed.startsWith('#')) { if (out.length) out[out.length - 1].expect.push(trimmed.slice(1).trim()); continue; }
      out.push({ file, line: trimmed, expect: [] });
    }
  }
  return out;
}

// ---- the demo stack ----
async function up() {
  const child = spawn(path.join(bin, 'openplatforms'), ['up', '--demo', '--data', path.join(work, 'data'),
    '--hub-listen', '127.0.0.1:0', '--pod-listen', '127.0.0.1:0', '--matcher-listen', '127.0.0.1:0'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  // Where a person signs up, as `up` tells them: the script spells no route of the hub's itself.
  let signup = null;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('up --demo did not get ready in 120 s')), 120_000);
    lines.on('line', (l) => {
      signup = (l.match(/^\s*Sign up at\s+(\S+)/) || [])[1] || signup;
      if (l.includes('Press Ctrl-C to stop.')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => reject(new Error(`up --demo exited (${code})`)));
  });
  if (!signup) fail('up --demo did not say where to sign up');
  return { child, signup, demo: JSON.parse(fs.readFileSync(path.join(work, 'data', 'demo.json'), 'utf8')) };
}

// ---- a person at the hub: a new worker, alice, who signs up, then logs in and allows ----
const alice = { username: 'alice', password: 'a long enough passphrase for alice' };

function browser() {
  const cookies = new Map();
  const req = async (u, init = {}) => {
    const headers = { ...(init.headers || {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv.indexOf('='); cookies.set(kv.slice(0, i), kv.slice(i + 1)); }
    return res;
  };
  const form = (u, fields) => req(u, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const csrf = (html) => (html.match(/name="csrf"[^>]*value="([^"]+)"/) || html.match(/value="([^"]+)"[^>]*name="csrf"/) || [])[1];
  return { req, form, csrf };
}

async function signUp(signup) {
  const { req, form, csrf } = browser();
  const page = await (await req(signup)).text();
  const res = await form(signup, { csrf: csrf(page), ...alice });
  if (res.status !== 303) fail(`sign-up of alice: ${res.status} ${await res.text()}`);
}

async function consent(demo, url, redirect) {
  const { req, form, csrf } = browser();
  let res = await req(url);
  for (let hop = 0; hop < 10; hop++) {
    const loc = new URL(res.headers.get('location') || '', demo.hub_url).toString();
    if (res.status < 300 || res.status >= 400) fail(`consent: ${res.status} at ${url}: ${await res.text()}`);
    if (loc.startsWith(redirect)) return loc;
    const page = await req(loc);
    if (page.status >= 300 && page.status < 400) { res = page; continue; }
    // The page is the hub's login or its consent form, told apart as a person would: by what it
    // asks for, not by its address.
    const html = await page.text(); const u = new URL(loc);
    if (/<input[^>]*name="password"/.test(html)) {
      res = await form(loc, { csrf: csrf(html), ...alice, next: u.searchParams.get('next') || '' });
    } else if (/name="decision"/.test(html)) {
      res = await form(loc, { csrf: csrf(html), request: u.searchParams.get('request'), decision: 'allow' });
    } else fail(`consent: unexpected page ${loc}`);
  }
  fail('consent: too many redirects');
}

// ---- running the guides ----
async function main() {
  for (const name of ['openplatforms', 'opctl']) {
    if (!fs.existsSync(path.join(bin, name))) fail(`${path.join(bin, name)} is missing: build it first (cargo build)`);
  }
  const { child, signup, demo } = await up();
  try {
    fs.copyFileSync(path.join(repo, 'protocol', 'tests', 'data', 'gig-export.json'), path.join(work, 'export.json'));
    const hub = demo.hub_url.replace(/\/$/, '');
    // The guides speak of a worker, alice, with a pod at the pod server: sign her up.
    await signUp(signup);
    const pod = demo.worker.pod.replace(/[^/]+\/$/, 'alice/');
    const replace = (line, who) => line
      .replaceAll('https://hub.example', hub)
      .replaceAll('https://pods.example/alice/', pod)
      .replaceAll('https://acme.example/oauth/callback', demo.platform.redirect_uri)
      .replaceAll('https://jobmatch.example/callback', demo.matcher.redirect_uri)
      .replaceAll('acme-gigs', demo.platform.client_id)
      .replaceAll('jobmatch', demo.matcher.client_id)
      .replaceAll('OP_CLIENT_SECRET=...', `OP_CLIENT_SECRET=${who.client_secret}`);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, OPCTL_CONFIG: '' };
    delete env.OPCTL_CONFIG;
    for (const [file, who] of [['PLATFORMS.md', demo.platform], ['MATCHERS.md', demo.matcher]]) {
      let lastUrl = null; let record = null;
      for (const { line, expect } of commands(file)) {
        let cmd = replace(line, who);
        if (/--callback '/.test(cmd)) {
          // What a person does between the two link commands: open the URL, log in, allow, and
          // paste the address their browser came back to.
          if (!lastUrl) fail(`${file}: a --callback command with no authorization URL before it`);
          const back = await consent(demo, lastUrl, who.redirect_uri);
          cmd = cmd.replace(/--callback '[^']*'/, `--callback '${back}'`);
        }
        if (/\swithdraw\s/.test(cmd)) {
          // The guide's record id is an example: withdraw one this run pushed.
          cmd = cmd.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, record);
        }
        if (cmd.startsWith('export ')) {
          for (const m of cmd.slice(7).matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
          console.log(`ok   ${file}: ${line}`);
          continue;
        }
        const run = spawnSync('bash', ['-c', cmd], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
        const output = `${run.stdout}${run.stderr}`;
        if (run.status !== 0) fail(`${file}: \`${line}\` exited ${run.status}:\n${output}`);
        // What the guide says the command prints: a push summary exactly, a verification tally
        // with nothing rejected.
        for (const e of expect) {
          if (/^created \d+, updated \d+, unchanged \d+, failed \d+$/.test(e) && !output.includes(e)) {
            fail(`${file}: \`${line}\` did not print "${e}":\n${output}`);
          }
          if (/^\d+ verified, 0 rejected$/.test(e) && !/\d+ verified, 0 rejected/.test(output)) {
            fail(`${file}: \`${line}\` rejected records:\n${output}`);
          }
        }
        // An authorization request, whatever the hub's path for it: it asks for a code.
        lastUrl = (output.match(/https?:\/\/\S+\?\S*response_type=code\S*/) || [lastUrl])[0];
        if (/\spush\s/.test(cmd)) {
          const again = spawnSync('bash', ['-c', `${cmd} --json`], { cwd: work, env, encoding: 'utf8' });
          const summary = JSON.parse(again.stdout);
          if (summary.created.length || summary.updated.length) fail(`${file}: pushing again wrote records: ${again.stdout}`);
          record = summary.unchanged.find((n) => n !== 'summary');
        }
        console.log(`ok   ${file}: ${line}`);
        if (process.env.GUIDES_TRACE) console.log(output);
      }
    }
  } finally {
    child.kill('SIGINT');
  }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exitCode = 1; });
