#!/usr/bin/env node
// Drives our pod with the Solid client libraries that apps use most: Inrupt's
// @inrupt/solid-client and rdflib.js (SolidOS, mashlib). Usage:
//   node clients.mjs CONFIG.json
// CONFIG: {"pod": "<pod root>", "token": "<owner access token>", "records": "<container of
//          signed records>", "record": "<one record's URL>", "contexts": "<the pod server's
//          index of pinned JSON-LD contexts>"}
// Prints one JSON line per step: {"client", "step", "ok", "error"}; exits 0 either way (the
// Rust test decides). Every request carries the owner's token; nothing else is contacted.
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import * as inrupt from '@inrupt/solid-client';
import jsonld from 'jsonld';
import * as $rdf from 'rdflib';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const SCHEMA_NAME = 'https://schema.org/name';
const LDP_CONTAINS = 'http://www.w3.org/ns/ldp#contains';

// The owner's token on every request, whatever shape of headers a library passes.
const authFetch = (input, init = {}) => {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : {}));
  headers.set('Authorization', `Bearer ${cfg.token}`);
  return fetch(input, {...init, headers});
};

async function step(client, name, body) {
  try {
    await body();
    console.log(JSON.stringify({client, step: name, ok: true}));
  } catch (e) {
    console.log(JSON.stringify({client, step: name, ok: false, error: String(e?.stack ?? e)}));
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- Inrupt's solid-client ----------------------------------------------------------------
const notes = `${cfg.pod}inrupt-notes/`;
const doc = `${notes}about`;

await step('inrupt', 'list the records container', async () => {
  const dataset = await inrupt.getSolidDataset(cfg.records, {fetch: authFetch});
  const contained = inrupt.getContainedResourceUrlAll(dataset);
  expect(contained.includes(cfg.record), `the listing names ${contained.join(', ')}`);
});

await step('inrupt', 'read a signed record as a dataset', async () => {
  const dataset = await inrupt.getSolidDataset(cfg.record, {fetch: authFetch});
  expect(inrupt.getThingAll(dataset, {acceptBlankNodes: true}).length > 0, 'no things');
});

await step('inrupt', 'read a signed record byte for byte', async () => {
  const file = await inrupt.getFile(cfg.record, {fetch: authFetch});
  const record = JSON.parse(await file.text());
  expect(record.proof?.cryptosuite === 'eddsa-rdfc-2022', 'the proof is there');
});

await step('inrupt', 'create a container', async () => {
  await inrupt.createContainerAt(notes, {fetch: authFetch});
});

await step('inrupt', 'saveSolidDatasetAt creates a document', async () => {
  const me = inrupt.buildThing(inrupt.createThing({name: 'me'}))
    .addStringNoLocale(SCHEMA_NAME, 'Alice').build();
  await inrupt.saveSolidDatasetAt(doc, inrupt.setThing(inrupt.createSolidDataset(), me),
    {fetch: authFetch});
});

await step('inrupt', 'saveSolidDatasetAt changes it (SPARQL Update PATCH)', async () => {
  const dataset = await inrupt.getSolidDataset(doc, {fetch: authFetch});
  const me = inrupt.getThing(dataset, `${doc}#me`);
  expect(me, 'the thing written before is there');
  const changed = inrupt.setStringNoLocale(me, SCHEMA_NAME, 'Alice B.');
  await inrupt.saveSolidDatasetAt(doc, inrupt.setThing(dataset, changed), {fetch: authFetch});
  const again = await inrupt.getSolidDataset(doc, {fetch: authFetch});
  const name = inrupt.getStringNoLocale(inrupt.getThing(again, `${doc}#me`), SCHEMA_NAME);
  expect(name === 'Alice B.', `read back ${name}`);
});

await step('inrupt', 'deleteFile', async () => {
  await inrupt.deleteFile(doc, {fetch: authFetch});
  const res = await authFetch(doc, {method: 'HEAD'});
  expect(res.status === 404, `HEAD after delete: ${res.status}`);
});

// ---- rdflib.js ------------------------------------------------------------------------------
// rdflib expands JSON-LD with jsonld.js, which fetches every remote context. Our records' contexts
// are served by the pod server itself (docs/MATCHERS.md): a document loader that takes them
// from there, checks each against the index's SHA-256, and loads nothing else.
const index = await (await fetch(cfg.contexts)).json();
jsonld.documentLoader = async (url) => {
  const entry = index[url];
  if (!entry) throw new Error(`${url} is not a context the pod serves`);
  const text = await (await fetch(new URL(entry.path, cfg.contexts))).text();
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (sha256 !== entry.sha256) throw new Error(`${url} does not match its pinned hash`);
  return {contextUrl: null, documentUrl: url, document: JSON.parse(text)};
};

const store = $rdf.graph();
const fetcher = new $rdf.Fetcher(store, {fetch: authFetch, timeout: 10000});
const updater = new $rdf.UpdateManager(store);
const card = `${cfg.pod}rdflib-notes/card`;

await step('rdflib', 'load the records container', async () => {
  await fetcher.load(cfg.records);
  const contains = store.each($rdf.sym(cfg.records), $rdf.sym(LDP_CONTAINS), undefined);
  expect(contains.some((n) => n.value === cfg.record),
    `ldp:contains names ${contains.map((n) => n.value).join(', ')}`);
});

// rdflib's own preference (Turtle 1.0, JSON-LD 0.9) gets the signed JSON-LD, proof included,
// which rdflib 2.4 cannot load: its JSON-LD reader takes every graph name for an IRI, and a VC 2.0
// proof's graph is a blank node. Asked for Turtle alone, the pod gives the credential's default
// graph, saying so in its first line and linking to the whole document.
await step('rdflib', 'read a signed record as Turtle', async () => {
  const res = await fetcher.webOperation('GET', cfg.record, {headers: {accept: 'text/turtle'}});
  const text = res.responseText; // webOperation has read the body already
  expect(text.startsWith('# The default graph only'), text.slice(0, 200));
  expect(/rel="alternate"; type="application\/ld\+json"/.test(res.headers.get('link')),
    `Link: ${res.headers.get('link')}`);
  $rdf.parse(text, store, cfg.record, 'text/turtle');
  expect(store.statementsMatching(undefined, undefined, undefined, $rdf.sym(cfg.record)).length > 0,
    'no statements');
});

await step('rdflib', 'create a document with PUT', async () => {
  const res = await fetcher.webOperation('PUT', card, {
    data: `<#me> <${SCHEMA_NAME}> "Alice" .\n`, contentType: 'text/turtle',
  });
  expect(res.ok, `PUT answered ${res.status}`);
});

await step('rdflib', 'UpdateManager.update (SPARQL Update PATCH)', async () => {
  await fetcher.load(card);
  const me = $rdf.sym(`${card}#me`);
  const old = store.statementsMatching(me, $rdf.sym(SCHEMA_NAME), undefined, $rdf.sym(card));
  expect(old.length === 1, `before: ${old.length} names`);
  const added = [$rdf.st(me, $rdf.sym(SCHEMA_NAME), $rdf.lit('Alice B.'), $rdf.sym(card))];
  await updater.update(old, added);
  const fresh = $rdf.graph();
  await new $rdf.Fetcher(fresh, {fetch: authFetch}).load(card);
  const names = fresh.each(me, $rdf.sym(SCHEMA_NAME), undefined).map((n) => n.value);
  expect(names.length === 1 && names[0] === 'Alice B.', `after: ${names.join(', ')}`);
});
