// Solid-OIDC with clients and a server we did not write (tests/it/solid_oidc.rs drives this):
//
// 1. Inrupt's @inrupt/solid-client-authn-node logs a worker in at our hub as a Solid app known by
//    its Client ID Document (authorization code, PKCE, DPoP; the worker's browser steps are done by the Rust test, which reads the
//    authorization URL from our stdout and writes the redirect back to our stdin).
// 2. With that session, Inrupt's @inrupt/solid-client lists the worker's pod, reads a signed
//    record and writes a document with saveSolidDatasetAt; rdflib.js's fetcher and UpdateManager
//    do the same.
// 3. An unmodified Community Solid Server (its own account and pod, made through its account
//    API as any of its users would) shares a document with the worker's WebID in a WebACL; the
//    server accepts our hub's token for that WebID: read and write, while anonymous reads fail.
//
// 4. The worker links their WebID at that server too; our pod accepts its token for them.
//
// Every step prints one JSON line {step, ok, detail}; the authorization URL is printed as
// {authorize}, and a provider to name in the worker's profile as {register}.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { Session } from "@inrupt/solid-client-authn-node";
import * as $rdf from "rdflib";
import {
  buildThing,
  createSolidDataset,
  createThing,
  getContainedResourceUrlAll,
  getSolidDataset,
  getStringNoLocale,
  getThing,
  saveSolidDatasetAt,
  setThing,
} from "@inrupt/solid-client";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const SCHEMA_NAME = "https://schema.org/name";

async function step(name, run) {
  try {
    const detail = await run();
    emit({ step: name, ok: true, detail: detail ?? null });
    return true;
  } catch (e) {
    emit({ step: name, ok: false, detail: String(e?.stack ?? e) });
    return false;
  }
}

function must(condition, message) {
  if (!condition) throw new Error(message);
}

// 1. Log in at our hub, as a Solid app known by its Client ID Document (served here), with no
//    registration at the hub.
const documentServer = createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/ld+json" });
  res.end(JSON.stringify(clientDocument));
});
await new Promise((ready) => documentServer.listen(0, "127.0.0.1", ready));
const clientId = `http://localhost:${documentServer.address().port}/id`;
const clientDocument = {
  "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
  client_id: clientId,
  client_name: "Solid-OIDC interoperability test",
  redirect_uris: [config.redirect],
  grant_types: ["authorization_code", "refresh_token"],
  scope: "openid offline_access webid",
  token_endpoint_auth_method: "none",
};
const session = new Session();
await session.login({
  oidcIssuer: config.hub,
  clientId,
  redirectUrl: config.redirect,
  clientName: "Solid-OIDC interoperability test",
  tokenType: "DPoP",
  handleRedirect: (url) => emit({ authorize: url }),
});
const callback = (await lines.next()).value;
await step("authn-node logs in at the hub", async () => {
  await session.handleIncomingRedirect(callback);
  must(session.info.isLoggedIn, "not logged in");
  must(session.info.webId === config.webid, `webId ${session.info.webId}, expected ${config.webid}`);
  return clientId;
});

// 2. The worker's pod with that session.
const fetch = session.fetch;
await step("solid-client lists the pod's records", async () => {
  const listing = await getSolidDataset(config.records, { fetch });
  const children = getContainedResourceUrlAll(listing);
  must(children.includes(config.record), `${config.record} not in ${children}`);
  return children.length;
});
await step("the session reads a signed record", async () => {
  const res = await fetch(config.record, { headers: { Accept: "application/ld+json" } });
  must(res.status === 200, `HTTP ${res.status}`);
  const record = await res.json();
  must(record.proof?.cryptosuite === "eddsa-rdfc-2022", "no eddsa-rdfc-2022 proof");
  return record.id ?? null;
});
const note = `${config.pod}notes/from-a-solid-app`;
await step("saveSolidDatasetAt writes to the pod", async () => {
  const thing = buildThing(createThing({ url: `${note}#it` }))
    .addStringNoLocale(SCHEMA_NAME, "written by a Solid app")
    .build();
  await saveSolidDatasetAt(note, setThing(createSolidDataset(), thing), { fetch });
  const back = await getSolidDataset(note, { fetch });
  must(
    getStringNoLocale(getThing(back, `${note}#it`), SCHEMA_NAME) === "written by a Solid app",
    "not read back",
  );
});
// rdflib.js (SolidOS, mashlib) with the same login: its fetcher and UpdateManager.
const LDP_CONTAINS = "http://www.w3.org/ns/ldp#contains";
const store = $rdf.graph();
const fetcher = new $rdf.Fetcher(store, { fetch, timeout: 10000 });
const updater = new $rdf.UpdateManager(store);
await step("rdflib's fetcher lists the records", async () => {
  await fetcher.load(config.records);
  const contains = store.each($rdf.sym(config.records), $rdf.sym(LDP_CONTAINS), undefined);
  must(contains.some((n) => n.value === config.record), `ldp:contains ${contains.map((n) => n.value)}`);
});
await step("rdflib reads a signed record as Turtle", async () => {
  const res = await fetcher.webOperation("GET", config.record, { headers: { accept: "text/turtle" } });
  must(res.status === 200, `HTTP ${res.status}`);
  $rdf.parse(res.responseText, store, config.record, "text/turtle");
  must(store.statementsMatching(undefined, undefined, undefined, $rdf.sym(config.record)).length > 0, "no statements");
});
await step("rdflib's UpdateManager changes the app's document", async () => {
  await fetcher.load(note);
  const it = $rdf.sym(`${note}#it`);
  const doc = $rdf.sym(note);
  const old = store.statementsMatching(it, $rdf.sym(SCHEMA_NAME), undefined, doc);
  must(old.length === 1, `${old.length} names`);
  await updater.update(old, [$rdf.st(it, $rdf.sym(SCHEMA_NAME), $rdf.lit("changed by rdflib"), doc)]);
  const back = await getSolidDataset(note, { fetch });
  must(getStringNoLocale(getThing(back, `${note}#it`), SCHEMA_NAME) === "changed by rdflib", "not changed");
});
await step("anonymous requests to the pod are refused", async () => {
  const res = await globalThis.fetch(note);
  must(res.status === 401, `HTTP ${res.status}`);
});

// 3. A Community Solid Server user shares a document with the worker's WebID.
const css = config.css;
async function account(url, body, token) {
  const res = await globalThis.fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `CSS-Account-Token ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}
let shared;
const cssUser = new Session();
await step("a Community Solid Server user shares a document with the worker", async () => {
  const index = await account(`${css}.account/`);
  const { authorization } = await account(index.controls.account.create, {});
  const controls = (await account(`${css}.account/`, undefined, authorization)).controls;
  await account(
    controls.password.create,
    { email: "bob@example.org", password: "bob's long password" },
    authorization,
  );
  const pod = await account(controls.account.pod, { name: "bob" }, authorization);
  const key = await account(
    controls.account.clientCredentials,
    { name: "share", webId: pod.webId },
    authorization,
  );
  await cssUser.login({ oidcIssuer: css, clientId: key.id, clientSecret: key.secret, tokenType: "DPoP" });
  must(cssUser.info.webId === pod.webId, `CSS session is ${cssUser.info.webId}`);
  shared = `${pod.pod}shared/`;
  const put = async (url, type, body) => {
    const res = await cssUser.fetch(url, { method: "PUT", headers: { "content-type": type }, body });
    must(res.ok, `PUT ${url}: HTTP ${res.status} ${await res.text()}`);
  };
  await put(`${shared}hello.ttl`, "text/turtle", `<#it> <${SCHEMA_NAME}> "shared by bob".`);
  await put(
    `${shared}.acl`,
    "text/turtle",
    `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#bob> a acl:Authorization; acl:agent <${pod.webId}>; acl:accessTo <./>; acl:default <./>;
  acl:mode acl:Read, acl:Write, acl:Control.
<#worker> a acl:Authorization; acl:agent <${config.webid}>; acl:accessTo <./>; acl:default <./>;
  acl:mode acl:Read, acl:Write.`,
  );
  return pod.webId;
});
await step("the Community Solid Server refuses anonymous reads of it", async () => {
  const res = await globalThis.fetch(`${shared}hello.ttl`);
  must(res.status === 401, `HTTP ${res.status}`);
});
await step("the Community Solid Server accepts our hub's token: read", async () => {
  const res = await fetch(`${shared}hello.ttl`, { headers: { Accept: "text/turtle" } });
  const text = await res.text();
  must(res.status === 200, `HTTP ${res.status} ${text}`);
  must(text.includes("shared by bob"), text);
});
await step("the Community Solid Server accepts our hub's token: write", async () => {
  const target = `${shared}from-the-worker.ttl`;
  const res = await fetch(target, {
    method: "PUT",
    headers: { "content-type": "text/turtle" },
    body: `<#it> <${SCHEMA_NAME}> "written with a token from the Open Platforms hub".`,
  });
  must(res.ok, `HTTP ${res.status} ${await res.text()}`);
  const back = await cssUser.fetch(target);
  must((await back.text()).includes("Open Platforms hub"), "bob cannot read it back");
});

// 4. The worker has an account at the Community Solid Server too and links their WebID there
//    (the server asks for a code in the WebID profile; the worker adds it, and the server's
//    address, on the hub's dashboard). Our pod then accepts that server's token as the worker.
const cssWorker = new Session();
await step("the worker links their WebID at the Community Solid Server", async () => {
  const index = await account(`${css}.account/`);
  const { authorization } = await account(index.controls.account.create, {});
  const controls = (await account(`${css}.account/`, undefined, authorization)).controls;
  await account(
    controls.password.create,
    { email: "alice@example.org", password: "alice's long password" },
    authorization,
  );
  const link = () =>
    globalThis.fetch(controls.account.webId, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `CSS-Account-Token ${authorization}`,
      },
      body: JSON.stringify({ webId: config.webid }),
    });
  const first = await link();
  const refusal = await first.text();
  must(first.status === 400, `linking before proof: HTTP ${first.status} ${refusal}`);
  const token = /oidcIssuerRegistrationToken>\s*\\?"([^"\\]+)/.exec(refusal)?.[1];
  must(token, `no registration token in ${refusal}`);
  emit({ register: { issuer: css, token } });
  must((await lines.next()).value === "ok", "the hub's dashboard did not take the provider");
  const second = await link();
  must(second.ok, `linking after proof: HTTP ${second.status} ${await second.text()}`);
  const key = await account(
    controls.account.clientCredentials,
    { name: "pod", webId: config.webid },
    authorization,
  );
  await cssWorker.login({ oidcIssuer: css, clientId: key.id, clientSecret: key.secret, tokenType: "DPoP" });
  must(cssWorker.info.webId === config.webid, `CSS session is ${cssWorker.info.webId}`);
});
await step("our pod accepts the Community Solid Server's token for its owner", async () => {
  const listing = await getSolidDataset(config.records, { fetch: cssWorker.fetch });
  const children = getContainedResourceUrlAll(listing);
  must(children.includes(config.record), `${config.record} not in ${children}`);
  const res = await cssWorker.fetch(config.record, { headers: { Accept: "application/ld+json" } });
  must(res.status === 200, `HTTP ${res.status}`);
});

await session.logout({ logoutType: "app" });
await cssUser.logout({ logoutType: "app" });
await cssWorker.logout({ logoutType: "app" });
documentServer.close();
process.exit(0);
