#!/usr/bin/env node
// An independent verifier for Open Platforms' signed records, built on Digital
// Bazaar's libraries (see README.md). Usage: node verify.mjs INPUT.json
// INPUT: {"records": [record, ...], "documents": {"<url>": <JSON>, ...}}
// Prints one JSON line per record:
//   {"id", "verified": bool, "revoked": bool|null, "error": string|null}
// Everything is resolved offline: the pinned contexts under protocol/contexts/
// and the input's `documents`; any other URL is an error.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

function usage(message) {
  process.stderr.write(`${message}\nusage: node verify.mjs INPUT.json\n` +
    '  INPUT.json: {"records": [...], "documents": {"<url>": {...}, ...}}\n');
  process.exit(2);
}

// (a) the contexts pinned in the repository: protocol/contexts/index.json
// maps each context URL to a file beside it.
const CONTEXT_DIR = join(dirname(fileURLToPath(import.meta.url)),
  '..', '..', 'protocol', 'contexts');
function loadPinnedContexts() {
  const index = JSON.parse(readFileSync(join(CONTEXT_DIR, 'index.json'), 'utf8'));
  const contexts = new Map();
  for(const [url, {file}] of Object.entries(index)) {
    contexts.set(url, JSON.parse(readFileSync(join(CONTEXT_DIR, file), 'utf8')));
  }
  return contexts;
}

// (b) the input's documents. A URL with a fragment (a verification method id,
// `{controller}#key-n`) is resolved by loading the controller document and
// picking the method; jsonld-signatures wants it as a document with @context.
function makeDocumentLoader({contexts, documents}) {
  const clone = x => structuredClone(x);
  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: clone(contexts.get(url))};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: clone(documents[url])};
    }
    const hash = url.indexOf('#');
    const base = url.slice(0, hash);
    if(hash > 0 && Object.hasOwn(documents, base)) {
      const controllerDoc = documents[base];
      const methods = [].concat(controllerDoc.verificationMethod ?? []);
      const method = methods.find(m => m && typeof m === 'object' &&
        (m.id === url || (m.id?.startsWith('#') && base + m.id === url)));
      if(method) {
        const document = {'@context': MULTIKEY_V1, ...clone(method), id: url};
        if(!document.controller) {
          document.controller = controllerDoc.id ?? base;
        }
        return {contextUrl: null, documentUrl: url, document};
      }
      throw new Error(`Verification method "${url}" not found in its controller document.`);
    }
    const what = hash > 0 ? `"${url}" (its controller document "${base}")` : `"${url}"`;
    throw new Error(`Cannot load ${what}: neither a pinned context nor in "documents" ` +
      '(this verifier never uses the network).');
  };
}

// Flattens Digital Bazaar's nested errors (`errors` arrays, `cause` chains)
// into one message, innermost reasons included, without repeats.
function errorText(error) {
  const messages = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      return e.forEach(walk);
    }
    const message = e.message ?? String(e);
    const generic = e.errors && message === 'Verification error(s).';
    if(!generic && !messages.some(m => m.includes(message))) {
      messages.push(message);
    }
    walk(e.errors);
    walk(e.cause);
    walk(e.details?.cause); // jsonld.js wraps document loader errors here
  };
  walk(error);
  return messages.length ? messages.join(' <- ') : null;
}

async function verifyRecord(record, {documentLoader}) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const errors = [];
  let verified = false;
  try {
    // The signature verdict: vc.verifyCredential runs Digital Bazaar's
    // credential checks (structure, validity period, issuer = the key's
    // controller, assertionMethod) and jsonld-signatures with the
    // eddsa-rdfc-2022 suite. Revocation is read separately below, so that
    // `verified` and `revoked` are reported independently.
    const result = await vc.verifyCredential({
      credential: record, suite, documentLoader,
      checkStatus: async () => ({verified: true})
    });
    verified = result.verified === true;
    if(!verified) {
      errors.push(errorText(result.error) ?? 'not verified');
    }
  } catch(e) {
    errors.push(errorText(e) ?? String(e));
  }

  // The status bit. checkStatus also verifies the status list credential's
  // own signature with the same suite and that its issuer is the record's.
  let revoked = null;
  if(record && typeof record === 'object' && record.credentialStatus) {
    const status = await checkStatus({
      credential: record, suite, documentLoader,
      verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true
    });
    if(status.verified) {
      const revocation = status.results.filter(
        r => r.credentialStatus.statusPurpose === 'revocation');
      if(revocation.length > 0) {
        revoked = revocation.some(r => r.status === true);
      } else {
        errors.push('status: no "revocation" entry in credentialStatus');
      }
    } else {
      errors.push(`status: ${errorText(status.error) ?? 'not verified'}`);
    }
  }
  return {
    id: record?.id ?? null,
    verified,
    revoked,
    error: errors.length ? errors.join('; ') : null
  };
}

async function main() {
  const [inputPath, ...rest] = process.argv.slice(2);
  if(!inputPath || rest.length > 0) {
    usage('expected exactly one argument');
  }
  let input;
  try {
    input = JSON.parse(readFileSync(inputPath, 'utf8'));
  } catch(e) {
    usage(`cannot read ${inputPath}: ${e.message}`);
  }
  if(!input || !Array.isArray(input.records) ||
    (input.documents !== undefined &&
      (typeof input.documents !== 'object' || input.documents === null))) {
    usage('the input must be {"records": [...], "documents": {...}}');
  }
  const documentLoader = makeDocumentLoader({
    contexts: loadPinnedContexts(), documents: input.documents ?? {}
  });
  for(const record of input.records) {
    const line = await verifyRecord(record, {documentLoader});
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

await main();
