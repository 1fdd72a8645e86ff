// A machine client of an organisation and an access token for it, for tests of other domains (the leak matrix's
// "machine client" actor):
//   const { token } = await machineClientToken(t.services, '981544315');
//   await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CLI_ACTOR } from '../../src/access/model';
import { JWT_BEARER_GRANT } from '../../src/identity/model';
import type { Services } from '../../src/services';

export async function machineClientToken(services: Services, orgnr: string): Promise<{ clientId: string; token: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const client = await services.identity.registerClient(CLI_ACTOR, orgnr, { name: `test client ${orgnr}`, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'test' }] }, scopes: ['read'] });
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: client.id, aud: services.platform.config.baseUrl, iat: now, exp: now + 60, jti: randomUUID(), scope: 'read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'test' })
    .sign(privateKey);
  const { access_token } = await services.identity.issueToken({ grant_type: JWT_BEARER_GRANT, assertion }, { ip: '127.0.0.1' });
  return { clientId: client.id, token: access_token };
}
