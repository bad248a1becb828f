// A minimal oidc-provider (npm, installed by bench/setup.sh into $BENCH_PEERS) for the token
// endpoint comparison: one confidential client (client_secret_basic) allowed client_credentials,
// access tokens as EdDSA-signed JWTs for one resource (like our hub's), in-memory adapter.
// Usage: node oidc-provider.mjs PEERS_DIR PORT CLIENT_ID CLIENT_SECRET
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [peers, port, clientId, clientSecret] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(path.join(peers, 'node_modules/oidc-provider/lib/index.js')));
const { privateKey } = crypto.generateKeyPairSync('ed25519');
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-1', alg: 'EdDSA', use: 'sig' };
const resource = 'http://pod.bench.invalid/';
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'],
    redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'EdDSA' }],
  jwks: { keys: [jwk] },
  enabledJWA: { authorizationSigningAlgValues: ['EdDSA'], idTokenSigningAlgValues: ['EdDSA'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'gig:write', audience: resource, accessTokenTTL: 300,
        accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } }),
    },
  },
  scopes: ['gig:write'],
});
provider.proxy = false;
const server = provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider on ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
