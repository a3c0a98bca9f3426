// A real OpenID provider (panva/oidc-provider, OpenID Certified) for tests/test_oidc.py, on loopback.
// Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Its development sign-in pages accept any login; the account's `sim_role` claim is "supervisor"
// for logins starting with "coach", else "trainee" (the claim the app maps to its roles).
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'sim_role'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: `SSO ${id}`, preferred_username: id,
                 sim_role: id.startsWith('coach') ? 'supervisor' : 'trainee' };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key-not-secret'] },
  pkce: { required: () => true },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
