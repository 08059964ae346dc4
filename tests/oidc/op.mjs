// A real OpenID Provider (npm `oidc-provider`, panva) on 127.0.0.1, with test-control endpoints under /__test/.
// Usage: node tests/oidc/op.mjs [--port N] [--ignore-stdin]
// Prints one line {"issuer":"http://127.0.0.1:PORT","pid":PID} on stdout when listening; exits when stdin closes
// or on SIGTERM. See README.md in this folder.

import http from 'node:http';

import {
  decodeJwt, exitWithParent, freePort, mint, newEcKey, newRsaKey, parseArgs, parseJsonBody, quietStdout,
  readBody, sendJson, sleep,
} from './common.mjs';

quietStdout();
const { default: Provider } = await import('oidc-provider');

const args = parseArgs(process.argv.slice(2));
const port = args.port || await freePort();
const issuer = `http://127.0.0.1:${port}`;

const REDIRECT_URIS = ['http://127.0.0.1:9/callback', 'com.example.app:/oauth2redirect'];
// application_type "native" on every client: oidc-provider refuses a custom-scheme redirect URI on a "web" client
// ("redirect_uris must only contain web uris"). A consequence (RFC 8252 7.3): for these clients the OP ignores the
// port of a loopback redirect URI, so http://127.0.0.1:<any port>/callback matches.
const common = {
  application_type: 'native',
  redirect_uris: REDIRECT_URIS,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};
const CLIENTS = [
  { ...common, client_id: 'web', client_secret: 'web-secret', token_endpoint_auth_method: 'client_secret_post' },
  { ...common, client_id: 'basic', client_secret: 'basic-secret', token_endpoint_auth_method: 'client_secret_basic' },
  { ...common, client_id: 'second', client_secret: 'second-secret', token_endpoint_auth_method: 'client_secret_post' },
  { ...common, client_id: 'native', token_endpoint_auth_method: 'none' },
];

// Accounts: any login name. sub "sub-<login>", email "<login>@example.test" (verified unless the login starts with
// "unverified"; absent when it starts with "noemail"), name = login.
function accountClaims(login) {
  const claims = { sub: `sub-${login}`, name: login };
  if (!login.startsWith('noemail')) {
    claims.email = `${login}@example.test`;
    claims.email_verified = !login.startsWith('unverified');
  }
  return claims;
}

// Signing keys. keyNo counts rotations: kids are "op-rs256-1", "op-rs256-2", ...
let keyNo = 1;
let current = newRsaKey(`op-rs256-${keyNo}`);
let previous = null; // kept in the JWKS after a rotation unless {"keepOld": false}
const strayEc = newEcKey('op-es256-unpublished'); // for /__test/mint alg ES256: in no JWKS

// oidc-provider's built-in memory adapter keeps one store per Provider instance; this one is shared by every
// instance (a key rotation builds a new one), so sessions, interactions, codes and tokens survive a rotation.
const store = new Map(); // key -> { value, expiresAt }
const grantMembers = new Map(); // grantId -> Set of keys
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const live = (key) => {
  const e = store.get(key);
  if (!e) return undefined;
  if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) { store.delete(key); return undefined; }
  return e.value;
};
class SharedMemoryAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { value: payload, expiresAt });
    if (this.model === 'Session' && payload.uid) store.set(`sessionUid:${payload.uid}`, { value: id, expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { value: id, expiresAt });
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const members = grantMembers.get(payload.grantId) ?? new Set();
      members.add(this.key(id));
      grantMembers.set(payload.grantId, members);
    }
  }

  async find(id) { return live(this.key(id)); }

  async findByUid(uid) {
    const id = live(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const v = live(this.key(id));
    if (v) v.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) store.delete(key);
    grantMembers.delete(grantId);
  }
}

function buildProvider() {
  const keys = [current.privateJwk];
  if (previous) keys.push(previous.privateJwk);
  const provider = new Provider(issuer, {
    adapter: SharedMemoryAdapter,
    clients: CLIENTS,
    jwks: { keys },
    cookies: { keys: ['authcore-test-cookie-key-1'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    // The account id (the subject) is "sub-<login>": the server below rewrites the login form's field.
    async findAccount(ctx, id) {
      const login = id.startsWith('sub-') ? id.slice(4) : id;
      return { accountId: id, async claims() { return accountClaims(login); } };
    },
  });
  provider.on('server_error', (ctx, err) => console.error('op server_error', err));
  return provider;
}

// oidc-provider reads its keys once, at construction: a rotation builds a new Provider with the new key set.
// Its state (sessions, interactions, codes, tokens) lives in the shared adapter above, so it survives.
let provider = buildProvider();
let handler = provider.callback();

const stats = { jwks: 0, token: 0, userinfo: 0 };
let tokenDelayMs = 0;

// ---------- /__test/drive: a browser's walk through the OP's own pages, over loopback HTTP ----------

class CookieJar {
  constructor() { this.cookies = []; }

  store(setCookies) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v || '/';
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (!expired) this.cookies.push({ name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matching = this.cookies.filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

const unescapeHtml = (s) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
  .replace(/&#x27;/g, "'").replace(/&#x2F;/g, '/').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

function parseForm(html) {
  const form = /<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const fields = {};
  for (const m of form[2].matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"/gi)) {
    fields[unescapeHtml(m[1])] = unescapeHtml(m[2]);
  }
  const abort = /<a href="([^"]*\/abort)"/i.exec(html);
  return { action: unescapeHtml(form[1]), fields, abort: abort ? unescapeHtml(abort[1]) : null };
}

function opErrorFromHtml(status, html) {
  const error = /<strong>error<\/strong>:\s*([^<\n]*)/i.exec(html);
  const description = /<strong>error_description<\/strong>:\s*([^<\n]*)/i.exec(html);
  return {
    error: error ? unescapeHtml(error[1].trim()) : `http_${status}`,
    error_description: description ? unescapeHtml(description[1].trim()) : html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300),
    status,
  };
}

async function drive({ url, login = 'alice', consent = true, password = 'x' }) {
  if (typeof url !== 'string') throw new Error('"url" (the authorisation URL) is required');
  const jar = new CookieJar();
  const steps = [];
  let next = { method: 'GET', url: new URL(url, issuer).href, body: undefined };
  for (let i = 0; i < 25; i++) {
    const target = new URL(next.url);
    if (target.origin !== issuer) {
      // Left the OP: this is the redirect to the client's redirect_uri (also custom schemes, origin "null").
      const params = Object.fromEntries(target.searchParams);
      const out = { callbackUrl: target.href, ...params };
      return out;
    }
    const headers = { accept: 'text/html', 'user-agent': 'authcore-test-drive' };
    const cookie = jar.header(target.href);
    if (cookie) headers.cookie = cookie;
    if (next.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(target.href, {
      method: next.method, headers, body: next.body, redirect: 'manual',
    });
    jar.store(res.headers.getSetCookie());
    steps.push(`${next.method} ${target.pathname} -> ${res.status}`);
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      next = { method: 'GET', url: new URL(res.headers.get('location'), target).href, body: undefined };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) return { ...opErrorFromHtml(res.status, html), steps };
    const form = parseForm(html);
    if (!form) return { error: 'drive_failed', error_description: `no form on ${target.pathname}`, steps };
    const fields = new URLSearchParams(form.fields);
    if (form.fields.prompt === 'login') {
      fields.set('login', login);
      fields.set('password', password);
    } else if (form.fields.prompt === 'consent' && !consent) {
      next = { method: 'GET', url: new URL(form.abort, target).href, body: undefined };
      continue;
    }
    next = { method: 'POST', url: new URL(form.action, target).href, body: fields.toString() };
  }
  return { error: 'drive_failed', error_description: 'too many steps', steps };
}

// ---------- the server ----------

async function testRoute(req, res, path) {
  const method = req.method;
  const body = method === 'POST' ? parseJsonBody(await readBody(req)) : {};
  if (method === 'POST' && path === '/__test/drive') {
    const out = await drive(body);
    return sendJson(res, 200, out);
  }
  if (method === 'POST' && path === '/__test/rotate-keys') {
    previous = body.keepOld === false ? null : current;
    keyNo += 1;
    current = newRsaKey(`op-rs256-${keyNo}`);
    provider = buildProvider();
    handler = provider.callback();
    return sendJson(res, 200, { kid: current.kid, previousKid: previous ? previous.kid : null });
  }
  if (method === 'GET' && path === '/__test/stats') return sendJson(res, 200, stats);
  if (method === 'POST' && path === '/__test/stats/reset') {
    stats.jwks = 0; stats.token = 0; stats.userinfo = 0;
    return sendJson(res, 200, stats);
  }
  if (method === 'POST' && path === '/__test/token-delay') {
    tokenDelayMs = Math.max(0, Number(body.ms ?? 0));
    return sendJson(res, 200, { ms: tokenDelayMs });
  }
  if (method === 'POST' && path === '/__test/mint') return sendJson(res, 200, mint(body, { rsa: current, ec: strayEc }));
  if (method === 'GET' && path === '/__test/keys') {
    return sendJson(res, 200, {
      current: current.kid,
      previous: previous ? previous.kid : null,
      publicPem: current.publicPem,
      jwks: { keys: [current.publicJwk, ...(previous ? [previous.publicJwk] : [])] },
    });
  }
  if (method === 'POST' && path === '/__test/decode') return sendJson(res, 200, decodeJwt(body.jwt));
  if (method === 'GET' && path === '/__test/accounts') {
    return sendJson(res, 200, { alice: accountClaims('alice'), clients: CLIENTS.map((c) => c.client_id) });
  }
  return sendJson(res, 404, { error: 'no such test endpoint', path });
}

const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  try {
    if (path.startsWith('/__test/')) return await testRoute(req, res, path);
    if (path === '/jwks' && req.method === 'GET') stats.jwks += 1;
    if (path === '/token' && req.method === 'POST') {
      stats.token += 1;
      if (tokenDelayMs > 0) await sleep(tokenDelayMs);
    }
    if (path === '/me') stats.userinfo += 1;
    if (req.method === 'POST' && /^\/interaction\/[^/]+$/.test(path)) {
      // devInteractions takes the login name as the account id; the account id is the subject, and the
      // subject is "sub-<login>". The body is read here and handed on as req.body (oidc-provider reads it
      // from there when the stream has been consumed upstream).
      const form = new URLSearchParams(await readBody(req));
      const login = form.get('login');
      if (form.get('prompt') === 'login' && login && !login.startsWith('sub-')) form.set('login', `sub-${login}`);
      req.body = form.toString();
    }
    return handler(req, res);
  } catch (err) {
    console.error('op error', err);
    if (!res.headersSent) sendJson(res, 500, { error: 'test_peer_error', error_description: String(err?.message ?? err) });
    else res.destroy();
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer, pid: process.pid })}\n`);
});
exitWithParent(args, server);
