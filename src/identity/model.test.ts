// The rules of identity that need no server: levels of assurance, OIDC configuration, JWKS validation.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, OIDC_ACR_VALUES } from '../config';
import { ACR_LEVELS, acrMeets } from './model';
import { validateJwks } from './service';

const OIDC = { OIDC_ISSUER: 'https://test.idporten.no', OIDC_CLIENT_ID: 'id', OIDC_CLIENT_SECRET: 'secret' };

describe('acr levels', () => {
  it('orders ID-porten’s and eIDAS’s names; unknown or missing never meets a minimum', () => {
    expect(acrMeets('idporten-loa-high', 'idporten-loa-substantial')).toBe(true);
    expect(acrMeets('idporten-loa-substantial', 'idporten-loa-substantial')).toBe(true);
    expect(acrMeets('idporten-loa-substantial', 'idporten-loa-high')).toBe(false);
    expect(acrMeets('idporten-loa-low', 'idporten-loa-substantial')).toBe(false);
    expect(acrMeets('high', 'idporten-loa-high')).toBe(true);
    expect(acrMeets('http://eidas.europa.eu/LoA/substantial', 'substantial')).toBe(true);
    expect(acrMeets('Level4', 'idporten-loa-low')).toBe(false);
    expect(acrMeets(undefined, 'idporten-loa-low')).toBe(false);
    expect(acrMeets('constructor', 'idporten-loa-low')).toBe(false);
    expect(acrMeets('__proto__', 'idporten-loa-low')).toBe(false);
    expect(acrMeets(3, 'idporten-loa-low')).toBe(false);
    expect(acrMeets('idporten-loa-high', 'nonsense')).toBe(false);
  });

  it('OIDC_ACR_MIN accepts exactly the levels the check knows', () => {
    expect([...OIDC_ACR_VALUES].sort()).toEqual(Object.keys(ACR_LEVELS).sort());
  });
});

describe('OIDC configuration', () => {
  it('is off without OIDC_ISSUER and parsed with it', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(loadConfig({ ...OIDC, OIDC_ISSUER: 'https://test.idporten.no/' }).oidc).toEqual({ issuer: 'https://test.idporten.no', clientId: 'id', clientSecret: 'secret', acrMin: undefined, scopes: 'openid profile email', label: 'ID-porten' });
    expect(loadConfig({ ...OIDC, OIDC_ACR_MIN: 'idporten-loa-high', OIDC_SCOPES: 'openid  profile', OIDC_LABEL: 'Feide' }).oidc).toMatchObject({ acrMin: 'idporten-loa-high', scopes: 'openid profile', label: 'Feide' });
    expect(loadConfig({ ...OIDC, OIDC_ISSUER: 'http://127.0.0.1:4000' }).oidc?.issuer).toBe('http://127.0.0.1:4000');
  });

  it('refuses http off loopback, missing client credentials, unknown levels and scopes without openid', () => {
    expect(() => loadConfig({ ...OIDC, OIDC_ISSUER: 'http://idporten.no' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...OIDC, OIDC_ISSUER: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...OIDC, OIDC_CLIENT_SECRET: '' })).toThrow(/OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
    expect(() => loadConfig({ ...OIDC, OIDC_ACR_MIN: 'Level4' })).toThrow(/OIDC_ACR_MIN/);
    expect(() => loadConfig({ ...OIDC, OIDC_SCOPES: 'profile email' })).toThrow(/openid/);
    expect(() => loadConfig({ ...OIDC, OIDC_SCOPES: 'openid "x"' })).toThrow(/OIDC_SCOPES/);
    expect(() => loadConfig({ ...OIDC, OIDC_LABEL: 'ID\nporten' })).toThrow(/OIDC_LABEL/);
  });
});

describe('validateJwks', () => {
  it('accepts public RSA and EC P-256 keys and fills in alg', async () => {
    const rsa = await generateKeyPair('PS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const r = await validateJwks(JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'a', alg: 'PS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'b' }] }));
    expect(r.problems).toEqual([]);
    expect(r.jwks.keys.map((k) => k.alg)).toEqual(['PS256', 'ES256']);
  });

  it('refuses hostile input without throwing', async () => {
    for (const input of ['', ' ', '[]', 'null', '"x"', '{"keys": {}}', '{"keys": [null]}', '{"keys": [[]]}', `{"keys": [${'{"kty":"RSA"},'.repeat(11).slice(0, -1)}]}`, 'x'.repeat(30_000), '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","__proto__":{"d":"x"}}]}']) {
      const r = await validateJwks(input);
      expect(r.problems.length, input.slice(0, 60)).toBe(1);
    }
    expect((await validateJwks(undefined)).problems[0]?.code).toBe('jwks_invalid');
  });
});
