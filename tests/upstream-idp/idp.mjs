// An upstream OpenID provider for tests/it/upstream_login.rs: panva's oidc-provider, unmodified,
// as a national e-ID broker would run one — one confidential client (the hub), PKCE required,
// and oidc-provider's own development login pages (any login name is accepted and becomes the
// `sub`). Usage: node idp.mjs <port> <hub redirect URI> <client secret>; prints "ready".
import Provider from "oidc-provider";

const [port, redirect, secret] = process.argv.slice(2);
const issuer = `http://localhost:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "hub",
      client_secret: secret,
      redirect_uris: [redirect],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  cookies: { keys: ["a test key, not a secret"] },
});
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
