// Self-test of the peers through peer.mjs: `node --test tests/oidc/selftest.mjs` (or `npm test` in this folder).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { startFakes, startOp } from './peer.mjs';

let op;
let fakes;
before(async () => { [op, fakes] = await Promise.all([startOp(), startFakes()]); });
after(async () => { await Promise.all([op?.stop(), fakes?.stop()]); });

const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const form = (o) => new URLSearchParams(o);

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

function authUrl(clientId, redirectUri, challenge, extra = {}) {
  const u = new URL(`${op.issuer}/auth`);
  const params = {
    client_id: clientId, response_type: 'code', scope: 'openid email profile', redirect_uri: redirectUri, state: 'st', nonce: 'nn', code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

test('OP: second client, unverified and noemail accounts, token delay', async () => {
  const { verifier, challenge } = pkce();
  const cb = await op.drive(authUrl('second', 'http://127.0.0.1:9/callback', challenge), 'unverified-uma');
  await op.tokenDelay(200);
  const t0 = Date.now();
  const res = await fetch(`${op.issuer}/token`, {
    method: 'POST',
    body: form({
      grant_type: 'authorization_code', code: cb.code, redirect_uri: 'http://127.0.0.1:9/callback', client_id: 'second', client_secret: 'second-secret', code_verifier: verifier,
    }),
  });
  assert.ok(Date.now() - t0 >= 190);
  await op.tokenDelay(0);
  const tokens = await res.json();
  const claims = b64json(tokens.id_token.split('.')[1]);
  assert.equal(claims.sub, 'sub-unverified-uma');
  assert.equal(claims.email_verified, false);

  const p2 = pkce();
  const cb2 = await op.drive(authUrl('native', 'com.example.app:/oauth2redirect', p2.challenge), 'noemail-ned');
  const t2 = await (await fetch(`${op.issuer}/token`, {
    method: 'POST',
    body: form({
      grant_type: 'authorization_code', code: cb2.code, redirect_uri: 'com.example.app:/oauth2redirect', client_id: 'native', code_verifier: p2.verifier,
    }),
  })).json();
  const c2 = b64json(t2.id_token.split('.')[1]);
  assert.equal(c2.sub, 'sub-noemail-ned');
  assert.equal(c2.email, undefined);
});

test('OP: refusals come back as the redirect error', async () => {
  const denied = await op.drive(authUrl('web', 'http://127.0.0.1:9/callback', pkce().challenge), 'alice', { consent: false });
  assert.equal(denied.error, 'access_denied');
  const noPkce = await op.drive(authUrl('web', 'http://127.0.0.1:9/callback', pkce().challenge, { code_challenge: '' }), 'alice');
  assert.equal(noPkce.error, 'invalid_request');
  const badRedirect = await op.drive(authUrl('web', 'https://evil.example/cb', pkce().challenge), 'alice');
  assert.equal(badRedirect.error, 'invalid_redirect_uri');
  assert.equal(badRedirect.callbackUrl, undefined);
});

test('OP: mint variants and rotation', async () => {
  const keys = await op.get('/__test/keys');
  const rs = await op.mint({ claims: { sub: 'x' } });
  const [h, p, s] = rs.id_token.split('.');
  assert.equal(b64json(h).kid, keys.current);
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey(keys.publicPem), Buffer.from(s, 'base64url')));
  const none = await op.mint({ claims: { sub: 'x' }, alg: 'none' });
  assert.ok(none.id_token.endsWith('.'));
  const hs = await op.mint({ claims: { sub: 'x' }, alg: 'HS256-with-public-key' });
  const [hh, hp, hsig] = hs.id_token.split('.');
  assert.equal(b64json(hh).alg, 'HS256');
  assert.equal(crypto.createHmac('sha256', keys.publicPem).update(`${hh}.${hp}`).digest('base64url'), hsig);
  const es = await op.mint({ claims: { sub: 'x' }, alg: 'ES256', kid: 'not-in-jwks' });
  assert.equal(b64json(es.id_token.split('.')[0]).kid, 'not-in-jwks');

  const rotated = await op.rotateKeys({ keepOld: false });
  const jwks = await (await fetch(`${op.issuer}/jwks`)).json();
  assert.deepEqual(jwks.keys.map((k) => k.kid), [rotated.kid]);
});

test('fakes: Apple client secret, Twitter Basic + PKCE, Microsoft tid', async () => {
  const ak = await fakes.appleKey();
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid: ak.keyId })}.${enc({
    iss: ak.teamId, iat: now, exp: now + 600, aud: 'https://appleid.apple.com', sub: ak.clientId,
  })}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: crypto.createPrivateKey(ak.privateKeyPem), dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const apple = await (await fetch(`${fakes.base}/apple/auth/token`, {
    method: 'POST', body: form({ client_id: ak.clientId, client_secret: `${input}.${sig}`, code: 'alice', grant_type: 'authorization_code' }),
  })).json();
  const appleClaims = b64json(apple.id_token.split('.')[1]);
  assert.equal(appleClaims.iss, `${fakes.base}/apple`);
  assert.equal(appleClaims.email_verified, 'true');
  assert.equal((await fakes.last('apple')).form.client_id, ak.clientId);

  const noVerifier = await fetch(`${fakes.base}/twitter/2/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('twitter-client:twitter-secret').toString('base64')}` },
    body: form({ code: 'alice', grant_type: 'authorization_code', redirect_uri: 'http://127.0.0.1:9/callback' }),
  });
  assert.equal(noVerifier.status, 400);

  const ms = await (await fetch(`${fakes.base}/microsoft/consumers/oauth2/v2.0/token`, {
    method: 'POST', body: form({ client_id: 'microsoft-client', client_secret: 'microsoft-secret', code: 'alice', grant_type: 'authorization_code', scope: 'openid email' }),
  })).json();
  const msClaims = b64json(ms.id_token.split('.')[1]);
  assert.equal(msClaims.tid, '9188040d-6c67-4c5b-b112-36a304b66dad');
  assert.equal(msClaims.iss, `${fakes.base}/microsoft/${msClaims.tid}/v2.0`);
});

test('OP: a code from before a rotation is exchanged after it, signed with the new key', async () => {
  const { verifier, challenge } = pkce();
  // Any port of the loopback redirect URI matches (native clients, RFC 8252 7.3).
  const redirect = 'http://127.0.0.1:5555/callback';
  const cb = await op.drive(authUrl('web', redirect, challenge), 'dora');
  const { kid } = await op.rotateKeys();
  const tokens = await (await fetch(`${op.issuer}/token`, {
    method: 'POST',
    body: form({
      grant_type: 'authorization_code', code: cb.code, redirect_uri: redirect, client_id: 'web', client_secret: 'web-secret', code_verifier: verifier,
    }),
  })).json();
  assert.equal(b64json(tokens.id_token.split('.')[0]).kid, kid);
  const jwks = await (await fetch(`${op.issuer}/jwks`)).json();
  assert.equal(jwks.keys.length, 2);
  assert.equal(jwks.keys[0].kid, kid);
});
