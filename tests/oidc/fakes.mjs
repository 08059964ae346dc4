// Loopback fakes of OAuth providers, answering with each provider's documented request/response shapes, for
// contract tests of non-OIDC and quirky providers. One path prefix per provider. See README.md in this folder.
// Usage: node tests/oidc/fakes.mjs [--port N] [--ignore-stdin]
// Prints one line {"base":"http://127.0.0.1:PORT","pid":PID} on stdout when listening; exits when stdin closes
// or on SIGTERM.

import crypto from 'node:crypto';
import http from 'node:http';

import {
  decodeJwt, exitWithParent, freePort, mint, newEcKey, newRsaKey, parseArgs, parseJsonBody, quietStdout,
  readBody, sendJson, signJwt, sleep,
} from './common.mjs';

quietStdout();
const args = parseArgs(process.argv.slice(2));
const port = args.port || await freePort();
const base = `http://127.0.0.1:${port}`;

// ---------- configuration: client credentials and keys ----------

const CLIENTS = {
  github: { clientId: 'github-client', clientSecret: 'github-secret' },
  facebook: { clientId: 'facebook-app', clientSecret: 'facebook-secret' },
  discord: { clientId: 'discord-client', clientSecret: 'discord-secret' },
  linkedin: { clientId: 'linkedin-client', clientSecret: 'linkedin-secret' },
  twitter: { clientId: 'twitter-client', clientSecret: 'twitter-secret', publicClientId: 'twitter-public' },
  bitbucket: { clientId: 'bitbucket-key', clientSecret: 'bitbucket-secret' },
  microsoft: { clientId: 'microsoft-client', clientSecret: 'microsoft-secret' },
  apple: { clientId: 'com.example.signin', teamId: 'TEST1TEAM0', keyId: 'TESTKEY001' },
};

const KEYS = {
  apple: newRsaKey('apple-fake-rs256-1'),
  microsoft: newRsaKey('microsoft-fake-rs256-1'),
  linkedin: newRsaKey('linkedin-fake-rs256-1'),
};
// The key the *client* signs Apple's client_secret JWT with (Apple gives developers a .p8 PKCS#8 P-256 key).
const appleClientKey = newEcKey(CLIENTS.apple.keyId);
const strayEc = newEcKey('fakes-es256-unpublished');

const MS_CONSUMERS_TID = '9188040d-6c67-4c5b-b112-36a304b66dad'; // Microsoft's documented personal-accounts tenant
const MS_ORG_TID = '11111111-2222-4333-8444-555555555555'; // the fake's work/school tenant
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const config = {
  apple: { issuer: `${base}/apple`, boolsAsStrings: true },
};

// ---------- accounts (same login conventions as op.mjs) ----------

const hashNum = (s, digits) => {
  const h = crypto.createHash('sha256').update(s).digest();
  let n = 0n;
  for (const b of h.subarray(0, 8)) n = (n << 8n) | BigInt(b);
  return (n % (10n ** BigInt(digits))).toString().padStart(digits, '1');
};
const hashHex = (s, len) => crypto.createHash('sha256').update(s).digest('hex').slice(0, len);
const guidOf = (s) => {
  const h = hashHex(s, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
function account(login) {
  return {
    login,
    email: login.startsWith('noemail') ? null : `${login}@example.test`,
    verified: !login.startsWith('unverified'),
    name: `${login[0]?.toUpperCase() ?? ''}${login.slice(1)} Tester`,
    given: login,
    family: 'Tester',
  };
}

// ---------- codes and tokens ----------

const codes = new Map(); // code -> { provider, login, clientId, redirectUri, challenge, method, nonce, scope, used }
const tokens = new Map(); // access token -> { provider, login, scope, tenant }
const rand = (n = 24) => crypto.randomBytes(n).toString('base64url');

function issueToken(provider, login, scope, prefix = '', extra = {}) {
  const token = `${prefix}${rand(27)}`;
  tokens.set(token, { provider, login, scope, ...extra });
  return token;
}

// A code is either one this fake issued at its authorisation endpoint (single use; redirect_uri and PKCE are
// checked), or a "direct" code: any other string, taken as the login name (reusable; for contract tests that skip
// the authorisation step). Codes starting with "bad" are always invalid.
function redeem(provider, code) {
  if (typeof code !== 'string' || code === '' || code.startsWith('bad')) return { error: 'invalid' };
  const c = codes.get(code);
  if (!c) return { grant: { provider, login: code, direct: true } };
  if (c.provider !== provider) return { error: 'invalid' };
  if (c.used) return { error: 'used' };
  c.used = true;
  return { grant: c };
}

function pkceOk(grant, verifier) {
  if (!grant.challenge) return true;
  if (typeof verifier !== 'string') return false;
  const computed = grant.method === 'plain'
    ? verifier : crypto.createHash('sha256').update(verifier).digest('base64url');
  return computed === grant.challenge;
}

// ---------- request recording ----------

const recorded = new Map(); // name -> [requests]
function record(name, req, rawBody) {
  const url = new URL(req.url, base);
  const entry = {
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body: rawBody,
    form: null,
    json: null,
    at: new Date().toISOString(),
  };
  const cty = req.headers['content-type'] ?? '';
  if (cty.startsWith('application/x-www-form-urlencoded')) entry.form = Object.fromEntries(new URLSearchParams(rawBody));
  if (cty.startsWith('application/json')) {
    try { entry.json = JSON.parse(rawBody); } catch { /* not JSON */ }
  }
  const list = recorded.get(name) ?? [];
  list.push(entry);
  if (list.length > 100) list.shift();
  recorded.set(name, list);
  return entry;
}

// ---------- HTTP helpers ----------

function basicAuth(req) {
  const h = req.headers.authorization ?? '';
  if (!/^basic /i.test(h)) return null;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
  const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
  try { return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) }; } catch { return null; }
}

function bearer(req, query) {
  const h = req.headers.authorization ?? '';
  const m = /^(?:bearer|token|oauth)\s+(.+)$/i.exec(h);
  if (m) return m[1].trim();
  return query.access_token ?? null;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function redirect(res, location, status = 302) {
  res.writeHead(status, { location, 'content-length': 0 });
  res.end();
}

const nowSec = () => Math.floor(Date.now() / 1000);
const halfHash = (value) => crypto.createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');

// ---------- authorisation endpoints (every provider) ----------

// GET <provider's authorize path>?client_id&redirect_uri&state&code_challenge&...&login_hint=<login>
// answers 302 to redirect_uri with code and state at once (no pages): the login is login_hint, else "alice".
function authorize(provider, query, res, { requirePkce = false, formPost = false } = {}) {
  const expected = CLIENTS[provider];
  const known = [expected.clientId, expected.publicClientId].filter(Boolean);
  if (!known.includes(query.client_id)) return sendJson(res, 400, { error: 'invalid_client', error_description: `unknown client_id for ${provider}` });
  if (!query.redirect_uri) return sendJson(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is required' });
  const target = new URL(query.redirect_uri);
  if (requirePkce && !query.code_challenge) {
    target.searchParams.set('error', 'invalid_request');
    target.searchParams.set('error_description', 'Missing required parameter [code_challenge].');
    if (query.state) target.searchParams.set('state', query.state);
    return redirect(res, target.href);
  }
  const login = query.login_hint || 'alice';
  const code = `${provider}-code-${rand(18)}`;
  codes.set(code, {
    provider,
    login,
    clientId: query.client_id,
    redirectUri: query.redirect_uri,
    challenge: query.code_challenge ?? null,
    method: query.code_challenge_method ?? 'plain',
    nonce: query.nonce ?? null,
    scope: query.scope ?? '',
    tenant: query.__tenant ?? null,
    used: false,
  });
  if (formPost && query.response_mode === 'form_post') {
    // Apple: response_mode=form_post (required when scope has name or email) posts code, state and, on the
    // first authorisation only, a `user` JSON with the name.
    const a = account(login);
    const fields = { code, state: query.state ?? '' };
    if (/\b(name|email)\b/.test(query.scope ?? '')) {
      fields.user = JSON.stringify({ name: { firstName: a.given, lastName: a.family }, ...(a.email ? { email: a.email } : {}) });
    }
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"/>`).join('');
    const html = `<!DOCTYPE html><html><body onload="document.forms[0].submit()"><form method="post" action="${target.href.replace(/"/g, '&quot;')}">${inputs}</form></body></html>`;
    return send(res, 200, html, { 'content-type': 'text/html; charset=utf-8' });
  }
  target.searchParams.set('code', code);
  if (query.state !== undefined) target.searchParams.set('state', query.state);
  return redirect(res, target.href);
}

// ---------- GitHub ----------
// Docs: "Authorizing OAuth apps" (web application flow), "Troubleshooting OAuth app access token request errors",
// REST "Get the authenticated user", "List email addresses for the authenticated user".

function githubTokenAnswer(req, res, fields) {
  const accept = req.headers.accept ?? '';
  if (accept.includes('application/json')) return sendJson(res, 200, fields);
  if (accept.includes('application/xml')) {
    const xml = `<OAuth>${Object.entries(fields).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</OAuth>`;
    return send(res, 200, xml, { 'content-type': 'application/xml; charset=utf-8' });
  }
  return send(res, 200, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
}

const GITHUB_ERRORS = {
  incorrect_client_credentials: ['The client_id and/or client_secret passed are incorrect.', 'incorrect-client-credentials'],
  redirect_uri_mismatch: ['The redirect_uri MUST match the registered callback URL for this application.', 'redirect-uri-mismatch2', 'troubleshooting-authorization-request-errors'],
  bad_verification_code: ['The code passed is incorrect or expired.', 'bad-verification-code'],
};
function githubError(req, res, error) {
  const [description, anchor, page = 'troubleshooting-oauth-app-access-token-request-errors'] = GITHUB_ERRORS[error];
  // GitHub answers these errors with HTTP 200.
  return githubTokenAnswer(req, res, {
    error,
    error_description: description,
    error_uri: `https://docs.github.com/apps/managing-oauth-apps/${page}/#${anchor}`,
  });
}

function githubUser(login) {
  const id = Number(hashNum(`github:${login}`, 8));
  return { id, login };
}

async function github(req, res, path, query, params) {
  if (path === '/github/login/oauth/authorize' && req.method === 'GET') return authorize('github', query, res);
  if (path === '/github/login/oauth/access_token' && req.method === 'POST') {
    const basic = basicAuth(req);
    const clientId = params.client_id ?? basic?.id;
    const secret = params.client_secret ?? basic?.secret;
    if (clientId !== CLIENTS.github.clientId || secret !== CLIENTS.github.clientSecret) return githubError(req, res, 'incorrect_client_credentials');
    const { grant, error } = redeem('github', params.code);
    if (error) return githubError(req, res, 'bad_verification_code');
    if (!grant.direct && params.redirect_uri !== undefined && params.redirect_uri !== grant.redirectUri) return githubError(req, res, 'redirect_uri_mismatch');
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return githubError(req, res, 'bad_verification_code');
    const scope = (grant.scope || 'read:user user:email').split(/[ ,]+/).filter(Boolean).join(',');
    const token = issueToken('github', grant.login, scope, 'gho_');
    return githubTokenAnswer(req, res, { access_token: token, token_type: 'bearer', scope });
  }
  const api = path === '/github/user' || path === '/github/user/emails';
  if (!api) return false;
  if (!req.headers['user-agent']) {
    return send(res, 403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n', { 'content-type': 'text/plain; charset=utf-8' });
  }
  const t = tokens.get(bearer(req, {}) ?? '');
  if (!t || t.provider !== 'github') return sendJson(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  const a = account(t.login);
  const { id, login } = githubUser(t.login);
  if (path === '/github/user') {
    return sendJson(res, 200, {
      login,
      id,
      node_id: `MDQ6VXNlcj${Buffer.from(String(id)).toString('base64url')}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: '',
      url: `https://api.github.com/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: 'User',
      site_admin: false,
      name: a.name,
      company: null,
      blog: '',
      location: null,
      // The public profile email: null unless the user made one public (logins starting with "public").
      email: login.startsWith('public') && a.email ? a.email : null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 2,
      public_gists: 1,
      followers: 20,
      following: 0,
      created_at: '2008-01-14T04:33:35Z',
      updated_at: '2008-01-14T04:33:35Z',
    });
  }
  if (!a.email) return sendJson(res, 200, []);
  // The primary address is deliberately not first.
  return sendJson(res, 200, [
    { email: `${login}.old@example.test`, primary: false, verified: true, visibility: null },
    { email: `${login}.pending@example.test`, primary: false, verified: false, visibility: null },
    { email: a.email, primary: true, verified: a.verified, visibility: 'private' },
    { email: `${id}+${login}@users.noreply.github.com`, primary: false, verified: true, visibility: null },
  ]);
}

// ---------- Facebook ----------
// Docs: Facebook Login "Manually Build a Login Flow" (exchanging code for an access token), Graph API "User"
// (/me?fields=...), Graph API "Handling Errors" (the error object).

const fbError = (res, status, message, code, extra = {}) => sendJson(res, status, {
  error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: `A${rand(15)}` },
});

async function facebook(req, res, path, query, params) {
  if (/^\/facebook\/v\d+\.\d+\/dialog\/oauth$/.test(path) && req.method === 'GET') return authorize('facebook', query, res);
  if (/^\/facebook(\/v\d+\.\d+)?\/oauth\/access_token$/.test(path)) {
    if (params.client_id !== CLIENTS.facebook.clientId || params.client_secret !== CLIENTS.facebook.clientSecret) {
      return fbError(res, 400, 'Error validating client secret.', 1);
    }
    const { grant, error } = redeem('facebook', params.code);
    if (error === 'used') return fbError(res, 400, 'This authorization code has been used.', 100, { error_subcode: 36009 });
    if (error) return fbError(res, 400, 'Invalid verification code format.', 100);
    if (!grant.direct && params.redirect_uri !== grant.redirectUri) {
      return fbError(res, 400, 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request', 100, { error_subcode: 36008 });
    }
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return fbError(res, 400, 'Invalid code verifier.', 100);
    return sendJson(res, 200, { access_token: issueToken('facebook', grant.login, grant.scope, 'EAAG'), token_type: 'bearer', expires_in: 5183944 });
  }
  if (/^\/facebook(\/v\d+\.\d+)?\/me$/.test(path) && req.method === 'GET') {
    const token = bearer(req, query);
    if (!token) return fbError(res, 400, 'An active access token must be used to query information about the current user.', 2500);
    const t = tokens.get(token);
    if (!t || t.provider !== 'facebook') return fbError(res, 400, 'Invalid OAuth access token data.', 190);
    const a = account(t.login);
    const all = {
      id: hashNum(`facebook:${t.login}`, 17),
      name: a.name,
      first_name: a.given,
      last_name: a.family,
      email: a.email ?? undefined, // absent when the user has no (valid) email or did not grant the permission
      picture: { data: { height: 50, is_silhouette: false, url: 'https://platform-lookaside.fbsbx.com/platform/profilepic/', width: 50 } },
    };
    const fields = (query.fields ?? 'id,name').split(',').map((f) => f.trim()).filter(Boolean);
    const out = { };
    for (const f of fields) if (all[f] !== undefined) out[f] = all[f];
    out.id = all.id; // Graph always returns the id
    return sendJson(res, 200, out);
  }
  return false;
}

// ---------- Discord ----------
// Docs: Discord Developer Portal "OAuth2" (token exchange, HTTP Basic or body credentials) and "Users Resource"
// (the User object; email and verified need the `email` scope).

async function discord(req, res, path, query, params) {
  if ((path === '/discord/oauth2/authorize' || path === '/discord/api/oauth2/authorize') && req.method === 'GET') return authorize('discord', query, res);
  if (/^\/discord\/api(\/v\d+)?\/oauth2\/token$/.test(path) && req.method === 'POST') {
    const basic = basicAuth(req);
    const clientId = basic?.id ?? params.client_id;
    const secret = basic?.secret ?? params.client_secret;
    if (clientId !== CLIENTS.discord.clientId || secret !== CLIENTS.discord.clientSecret) return sendJson(res, 401, { error: 'invalid_client' });
    if (params.grant_type !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    const { grant, error } = redeem('discord', params.code);
    if (error) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid "code" in request.' });
    if (!grant.direct && params.redirect_uri !== grant.redirectUri) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid "redirect_uri" in request.' });
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid "code_verifier" in request.' });
    const scope = grant.scope || 'identify email';
    return sendJson(res, 200, {
      token_type: 'Bearer',
      access_token: issueToken('discord', grant.login, scope),
      expires_in: 604800,
      refresh_token: rand(24),
      scope,
    });
  }
  if (/^\/discord\/api(\/v\d+)?\/users\/@me$/.test(path) && req.method === 'GET') {
    const t = tokens.get(bearer(req, {}) ?? '');
    if (!t || t.provider !== 'discord') return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
    const a = account(t.login);
    const user = {
      id: hashNum(`discord:${t.login}`, 18),
      username: t.login.toLowerCase(),
      discriminator: '0',
      global_name: a.name,
      avatar: null,
      mfa_enabled: false,
      banner: null,
      accent_color: null,
      locale: 'en-US',
      flags: 0,
      premium_type: 0,
      public_flags: 0,
    };
    if (t.scope.split(' ').includes('email')) {
      user.email = a.email; // null when the account has none
      user.verified = a.email ? a.verified : false;
    }
    return sendJson(res, 200, user);
  }
  return false;
}

// ---------- LinkedIn ----------
// Docs: "Sign In with LinkedIn using OpenID Connect" (Microsoft Learn, LinkedIn consumer integrations): token at
// www.linkedin.com/oauth/v2/accessToken (with an id_token), userinfo at api.linkedin.com/v2/userinfo.

function linkedinIssuer() { return `${base}/linkedin/oauth`; }

async function linkedin(req, res, path, query, params) {
  if (path === '/linkedin/oauth/v2/authorization' && req.method === 'GET') return authorize('linkedin', query, res);
  if (path === '/linkedin/oauth/.well-known/openid-configuration') {
    return sendJson(res, 200, {
      issuer: linkedinIssuer(),
      authorization_endpoint: `${base}/linkedin/oauth/v2/authorization`,
      token_endpoint: `${base}/linkedin/oauth/v2/accessToken`,
      userinfo_endpoint: `${base}/linkedin/v2/userinfo`,
      jwks_uri: `${base}/linkedin/oauth/openid/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email'],
      claims_supported: ['iss', 'aud', 'iat', 'exp', 'sub', 'name', 'given_name', 'family_name', 'picture', 'email', 'email_verified', 'locale'],
    });
  }
  if (path === '/linkedin/oauth/openid/jwks') return sendJson(res, 200, { keys: [KEYS.linkedin.publicJwk] });
  if (path === '/linkedin/oauth/v2/accessToken' && req.method === 'POST') {
    if (params.client_id !== CLIENTS.linkedin.clientId || params.client_secret !== CLIENTS.linkedin.clientSecret) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const { grant, error } = redeem('linkedin', params.code);
    const bad = () => sendJson(res, 400, { error: 'invalid_request', error_description: 'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists' });
    if (error) return bad();
    if (!grant.direct && (params.redirect_uri !== grant.redirectUri || !pkceOk(grant, params.code_verifier))) return bad();
    const a = account(grant.login);
    const iat = nowSec();
    const claims = {
      iss: linkedinIssuer(), aud: CLIENTS.linkedin.clientId, iat, exp: iat + 3600, sub: hashHex(`linkedin:${grant.login}`, 10), name: a.name, given_name: a.given, family_name: a.family, picture: 'https://media.licdn.com/dms/image/', locale: 'en_US',
    };
    if (a.email) { claims.email = a.email; claims.email_verified = a.verified; }
    if (grant.nonce) claims.nonce = grant.nonce;
    const idToken = signJwt({ alg: 'RS256', typ: 'JWT', kid: KEYS.linkedin.kid }, claims, { alg: 'RS256', key: KEYS.linkedin.privateKey });
    return sendJson(res, 200, {
      access_token: issueToken('linkedin', grant.login, 'email,openid,profile', 'AQ'), expires_in: 5184000, scope: 'email,openid,profile', token_type: 'Bearer', id_token: idToken,
    });
  }
  if (path === '/linkedin/v2/userinfo' && req.method === 'GET') {
    const t = tokens.get(bearer(req, {}) ?? '');
    if (!t || t.provider !== 'linkedin') return sendJson(res, 401, { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 });
    const a = account(t.login);
    const out = {
      sub: hashHex(`linkedin:${t.login}`, 10), name: a.name, given_name: a.given, family_name: a.family, picture: 'https://media.licdn.com/dms/image/', locale: 'en-US',
    };
    if (a.email) { out.email = a.email; out.email_verified = a.verified; }
    return sendJson(res, 200, out);
  }
  return false;
}

// ---------- Twitter / X ----------
// Docs: X developer platform "OAuth 2.0 Authorization Code Flow with PKCE" (confidential clients authenticate
// with HTTP Basic; code_verifier required) and API v2 "GET /2/users/me" (a {"data": {...}} envelope).

async function twitter(req, res, path, query, params) {
  if (path === '/twitter/i/oauth2/authorize' && req.method === 'GET') return authorize('twitter', query, res, { requirePkce: true });
  if (path === '/twitter/2/oauth2/token' && req.method === 'POST') {
    const basic = basicAuth(req);
    const cfg = CLIENTS.twitter;
    if (basic) {
      if (basic.id !== cfg.clientId || basic.secret !== cfg.clientSecret) return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    } else if (params.client_id !== cfg.publicClientId) {
      // A confidential client must use HTTP Basic; only the public client may send client_id in the body alone.
      return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    }
    if (params.grant_type !== 'authorization_code') return sendJson(res, 400, { error: 'invalid_request', error_description: 'Missing required parameter [grant_type].' });
    if (!params.code_verifier) return sendJson(res, 400, { error: 'invalid_request', error_description: 'Missing required parameter [code_verifier].' });
    const { grant, error } = redeem('twitter', params.code);
    const invalid = () => sendJson(res, 400, { error: 'invalid_request', error_description: 'Value passed for the authorization code was invalid.' });
    if (error) return invalid();
    if (!grant.direct && (params.redirect_uri !== grant.redirectUri || !pkceOk(grant, params.code_verifier))) return invalid();
    const scope = grant.scope || 'users.read tweet.read';
    const out = {
      token_type: 'bearer', expires_in: 7200, access_token: issueToken('twitter', grant.login, scope), scope,
    };
    if (scope.split(' ').includes('offline.access')) out.refresh_token = rand(30);
    return sendJson(res, 200, out);
  }
  if (path === '/twitter/2/users/me' && req.method === 'GET') {
    const t = tokens.get(bearer(req, {}) ?? '');
    if (!t || t.provider !== 'twitter') return sendJson(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    const a = account(t.login);
    const data = { id: hashNum(`twitter:${t.login}`, 19), name: a.name, username: t.login };
    const fields = (query['user.fields'] ?? '').split(',').map((s) => s.trim());
    if (fields.includes('created_at')) data.created_at = '2013-12-14T04:35:55.000Z';
    if (fields.includes('description')) data.description = '';
    if (fields.includes('profile_image_url')) data.profile_image_url = 'https://pbs.twimg.com/profile_images/default_normal.jpg';
    if (fields.includes('verified')) data.verified = false;
    if (fields.includes('confirmed_email') && a.email && a.verified) data.confirmed_email = a.email;
    return sendJson(res, 200, { data });
  }
  return false;
}

// ---------- Bitbucket ----------
// Docs: Bitbucket Cloud "Use OAuth on Bitbucket Cloud" (token endpoint with HTTP Basic client credentials; the
// answer has "scopes" and "state": "authorization_code") and REST 2.0 "users" (/2.0/user, /2.0/user/emails, paged).

async function bitbucket(req, res, path, query, params) {
  if (path === '/bitbucket/site/oauth2/authorize' && req.method === 'GET') return authorize('bitbucket', query, res);
  if (path === '/bitbucket/site/oauth2/access_token' && req.method === 'POST') {
    const basic = basicAuth(req);
    const clientId = basic?.id ?? params.client_id;
    const secret = basic?.secret ?? params.client_secret;
    if (!clientId) return sendJson(res, 400, { error_description: 'Client credentials missing; this request needs to be authenticated with the OAuth client id and secret', error: 'unauthorized_client' });
    if (clientId !== CLIENTS.bitbucket.clientId || secret !== CLIENTS.bitbucket.clientSecret) return sendJson(res, 400, { error_description: 'Invalid OAuth client credentials', error: 'invalid_client' });
    const { grant, error } = redeem('bitbucket', params.code);
    if (error) return sendJson(res, 400, { error_description: 'The specified code is not valid.', error: 'invalid_grant' });
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return sendJson(res, 400, { error_description: 'The specified code is not valid.', error: 'invalid_grant' });
    return sendJson(res, 200, {
      access_token: issueToken('bitbucket', grant.login, 'account email'), scopes: 'account email', token_type: 'bearer', expires_in: 7200, state: 'authorization_code', refresh_token: rand(18),
    });
  }
  if ((path === '/bitbucket/2.0/user' || path === '/bitbucket/2.0/user/emails') && req.method === 'GET') {
    const t = tokens.get(bearer(req, {}) ?? '');
    if (!t || t.provider !== 'bitbucket') return sendJson(res, 401, { type: 'error', error: { message: 'Access token expired or invalid.' } });
    const a = account(t.login);
    const uuid = `{${guidOf(`bitbucket:${t.login}`)}}`;
    if (path === '/bitbucket/2.0/user') {
      return sendJson(res, 200, {
        display_name: a.name,
        links: {
          self: { href: `https://api.bitbucket.org/2.0/users/${encodeURIComponent(uuid)}` },
          avatar: { href: 'https://secure.gravatar.com/avatar/' },
          repositories: { href: `https://api.bitbucket.org/2.0/repositories/${encodeURIComponent(uuid)}` },
          html: { href: `https://bitbucket.org/${encodeURIComponent(uuid)}/` },
        },
        created_on: '2019-04-12T09:38:43.115478+00:00',
        type: 'user',
        uuid,
        has_2fa_enabled: null,
        username: t.login,
        is_staff: false,
        account_id: `557058:${guidOf(`bitbucket-account:${t.login}`)}`,
        nickname: t.login,
        account_status: 'active',
        location: null,
      });
    }
    const values = [];
    if (a.email) {
      const entry = (email, primary, confirmed) => ({
        is_primary: primary, is_confirmed: confirmed, type: 'email', email, links: { self: { href: `https://api.bitbucket.org/2.0/user/emails/${encodeURIComponent(email)}` } },
      });
      values.push(entry(`${t.login}.second@example.test`, false, true));
      values.push(entry(a.email, true, a.verified));
    }
    return sendJson(res, 200, { pagelen: 10, values, page: 1, size: values.length });
  }
  return false;
}

// ---------- Apple ----------
// Docs: Sign in with Apple REST API "Generate and validate tokens" (POST /auth/token; TokenResponse, ErrorResponse),
// "Creating a client secret" (ES256 JWT: header kid, iss team id, sub client id, aud https://appleid.apple.com,
// exp at most 15777000 s after iat), "Fetch Apple's public key for verifying token signature" (/auth/keys),
// "Authenticating users with Sign in with Apple" (id_token claims; email_verified/is_private_email may be strings).

function checkAppleClientSecret(secret, clientId) {
  let jwt;
  try { jwt = decodeJwt(secret); } catch { return 'client_secret is not a compact JWS'; }
  const { header, payload } = jwt;
  const cfg = CLIENTS.apple;
  if (header.alg !== 'ES256') return `alg ${header.alg} is not ES256`;
  if (header.kid !== cfg.keyId) return `kid ${header.kid} is not ${cfg.keyId}`;
  const ok = crypto.verify('sha256', Buffer.from(jwt.signingInput), { key: appleClientKey.publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature);
  if (!ok) return 'bad signature';
  if (payload.iss !== cfg.teamId) return `iss ${payload.iss} is not the team id ${cfg.teamId}`;
  if (payload.sub !== clientId || clientId !== cfg.clientId) return `sub ${payload.sub} is not the client id ${cfg.clientId}`;
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes('https://appleid.apple.com')) return `aud ${payload.aud} is not https://appleid.apple.com`;
  const now = nowSec();
  if (typeof payload.iat !== 'number' || payload.iat > now + 60) return 'iat missing or in the future';
  if (typeof payload.exp !== 'number' || payload.exp <= now) return 'exp missing or past';
  if (payload.exp - payload.iat > 15777000) return 'exp more than 15777000 s after iat';
  return null;
}

async function apple(req, res, path, query, params) {
  if (path === '/apple/auth/authorize' && req.method === 'GET') return authorize('apple', query, res, { formPost: true });
  if (path === '/apple/auth/keys' && req.method === 'GET') return sendJson(res, 200, { keys: [KEYS.apple.publicJwk] });
  if (path === '/apple/.well-known/openid-configuration') {
    return sendJson(res, 200, {
      issuer: config.apple.issuer,
      authorization_endpoint: `${base}/apple/auth/authorize`,
      token_endpoint: `${base}/apple/auth/token`,
      revocation_endpoint: `${base}/apple/auth/revoke`,
      jwks_uri: `${base}/apple/auth/keys`,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'name'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'iat', 'is_private_email', 'iss', 'nonce', 'nonce_supported', 'real_user_status', 'sub', 'transfer_sub'],
    });
  }
  if (path === '/apple/auth/token' && req.method === 'POST') {
    const why = checkAppleClientSecret(params.client_secret ?? '', params.client_id);
    // Apple's ErrorResponse carries only "error"; the reason is in a header for the test's diagnostics.
    if (why) return sendJson(res, 400, { error: 'invalid_client' }, { 'x-fake-reason': why });
    if (params.grant_type !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    const { grant, error } = redeem('apple', params.code);
    if (error) return sendJson(res, 400, { error: 'invalid_grant' }, { 'x-fake-reason': `code ${error}` });
    if (!grant.direct && params.redirect_uri !== undefined && params.redirect_uri !== grant.redirectUri) return sendJson(res, 400, { error: 'invalid_grant' }, { 'x-fake-reason': 'redirect_uri mismatch' });
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return sendJson(res, 400, { error: 'invalid_grant' }, { 'x-fake-reason': 'code_verifier mismatch' });
    const a = account(grant.login);
    const bool = (b) => (config.apple.boolsAsStrings ? String(b) : b);
    const accessToken = issueToken('apple', grant.login, '', 'a');
    const iat = nowSec();
    const claims = {
      iss: config.apple.issuer,
      aud: CLIENTS.apple.clientId,
      exp: iat + 86400,
      iat,
      sub: `000${hashNum(`apple:${grant.login}`, 3)}.${hashHex(`apple:${grant.login}`, 32)}.${hashNum(`apple2:${grant.login}`, 4)}`,
      at_hash: halfHash(accessToken),
      auth_time: iat,
      nonce_supported: true,
      real_user_status: 2,
    };
    if (grant.nonce) claims.nonce = grant.nonce;
    if (a.email) {
      const relay = grant.login.startsWith('private');
      claims.email = relay ? `${hashHex(grant.login, 10)}@privaterelay.appleid.com` : a.email;
      // Apple: "always true, because the servers only return verified email addresses" (also for `unverified…`).
      claims.email_verified = bool(true);
      if (relay) claims.is_private_email = bool(true);
    }
    const idToken = signJwt({ kid: KEYS.apple.kid, alg: 'RS256' }, claims, { alg: 'RS256', key: KEYS.apple.privateKey });
    return sendJson(res, 200, {
      access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: `r${rand(24)}`, id_token: idToken,
    });
  }
  return false;
}

// ---------- Microsoft identity platform (v2.0) ----------
// Docs: Microsoft identity platform "OpenID Connect on the Microsoft identity platform" (discovery per tenant;
// the `common`/`organizations` metadata has issuer https://login.microsoftonline.com/{tenantid}/v2.0 with the
// literal placeholder), "ID token claims reference" (tid, oid, ver 2.0, preferred_username; email is optional and
// not verified), "OAuth 2.0 authorization code flow" (token response incl. ext_expires_in; AADSTS errors), Graph
// "/oidc/userinfo".

function msIssuerFor(tenant) {
  if (tenant === 'common' || tenant === 'organizations') return `${base}/microsoft/{tenantid}/v2.0`;
  if (tenant === 'consumers') return `${base}/microsoft/${MS_CONSUMERS_TID}/v2.0`;
  return `${base}/microsoft/${tenant}/v2.0`;
}

function msError(res, status, error, code, description) {
  const trace = guidOf(rand());
  const correlation = guidOf(rand());
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

async function microsoft(req, res, path, query, params) {
  if (path === '/microsoft/discovery/v2.0/keys' || /^\/microsoft\/[^/]+\/discovery\/v2\.0\/keys$/.test(path)) {
    const tenant = path.split('/')[2];
    const issuer = tenant === 'discovery' ? `${base}/microsoft/{tenantid}/v2.0` : msIssuerFor(tenant);
    return sendJson(res, 200, { keys: [{ ...KEYS.microsoft.publicJwk, issuer }] });
  }
  let m = /^\/microsoft\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
  if (m) {
    const tenant = m[1];
    const t = `${base}/microsoft/${tenant}`;
    return sendJson(res, 200, {
      token_endpoint: `${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: msIssuerFor(tenant),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/microsoft/oidc/userinfo`,
      authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${t}/kerberos`,
      tenant_region_scope: null,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }
  m = /^\/microsoft\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(path);
  if (m && req.method === 'GET') return authorize('microsoft', { ...query, __tenant: m[1] }, res);
  m = /^\/microsoft\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
  if (m && req.method === 'POST') {
    const tenant = m[1];
    const basic = basicAuth(req);
    const clientId = params.client_id ?? basic?.id;
    const secret = params.client_secret ?? basic?.secret;
    if (clientId !== CLIENTS.microsoft.clientId) return msError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    if (secret !== CLIENTS.microsoft.clientSecret) return msError(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    const { grant, error } = redeem('microsoft', params.code);
    if (error === 'used') return msError(res, 400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
    if (error) return msError(res, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (!grant.direct && params.redirect_uri !== grant.redirectUri) return msError(res, 400, 'invalid_grant', 500112, 'The reply address does not match the reply address provided when requesting Authorization code.');
    if (!grant.direct && !pkceOk(grant, params.code_verifier)) return msError(res, 400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
    const a = account(grant.login);
    let tid;
    if (GUID.test(tenant)) tid = tenant;
    else if (tenant === 'consumers' || grant.login.startsWith('personal')) tid = MS_CONSUMERS_TID;
    else tid = MS_ORG_TID;
    const scope = params.scope || grant.scope || 'openid profile email';
    const accessToken = issueToken('microsoft', grant.login, scope, 'eyJ0eXAi', { tid });
    const iat = nowSec();
    const claims = {
      aud: clientId,
      iss: `${base}/microsoft/${tid}/v2.0`,
      iat,
      nbf: iat,
      exp: iat + 3600,
      name: a.name,
      oid: guidOf(`ms-oid:${grant.login}`),
      preferred_username: a.email ?? `${grant.login}@fake.onmicrosoft.com`,
      rh: `0.A${rand(20)}.`,
      sub: hashHex(`ms-sub:${grant.login}:${clientId}`, 43),
      tid,
      uti: rand(16),
      ver: '2.0',
    };
    if (a.email) claims.email = a.email; // Microsoft sends no email_verified
    if (grant.nonce) claims.nonce = grant.nonce;
    const idToken = signJwt({ typ: 'JWT', alg: 'RS256', kid: KEYS.microsoft.kid }, claims, { alg: 'RS256', key: KEYS.microsoft.privateKey });
    const out = {
      token_type: 'Bearer', scope, expires_in: 3599, ext_expires_in: 3599, access_token: accessToken,
    };
    if (scope.split(' ').includes('offline_access')) out.refresh_token = `0.A${rand(40)}`;
    if (scope.split(' ').includes('openid')) out.id_token = idToken;
    return sendJson(res, 200, out);
  }
  if (path === '/microsoft/oidc/userinfo') {
    const t = tokens.get(bearer(req, {}) ?? '');
    if (!t || t.provider !== 'microsoft') {
      return sendJson(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure. Invalid audience.', innerError: { date: new Date().toISOString(), 'request-id': guidOf(rand()) } } });
    }
    const a = account(t.login);
    const out = {
      sub: hashHex(`ms-sub-graph:${t.login}`, 43), name: a.name, family_name: a.family, given_name: a.given, picture: 'https://graph.microsoft.com/v1.0/me/photo/$value',
    };
    if (a.email) out.email = a.email;
    return sendJson(res, 200, out);
  }
  return false;
}

// ---------- attack helpers ----------

const HANDLERS = {
  github, facebook, discord, linkedin, twitter, bitbucket, apple, microsoft,
};

async function attack(name, req, res, query) {
  if (name === 'redirecting-token') {
    const status = [301, 302, 303, 307, 308].includes(Number(query.status)) ? Number(query.status) : 302;
    return redirect(res, query.to ?? `${base}/__test/redirect-target`, status);
  }
  if (name === 'huge') {
    const total = Math.round(Number(query.mib ?? 10) * 1024 * 1024);
    const head = '{"access_token":"huge","token_type":"Bearer","padding":"';
    const tail = '"}';
    const padLen = Math.max(0, total - head.length - tail.length);
    const headers = { 'content-type': 'application/json' };
    if (!query.chunked) headers['content-length'] = head.length + padLen + tail.length;
    res.writeHead(200, headers);
    res.write(head);
    const chunk = 'a'.repeat(64 * 1024);
    let left = padLen;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.slice(0, left);
        left -= piece.length;
        if (!res.write(piece)) { res.once('drain', pump); return; }
      }
      res.end(tail);
    };
    res.on('error', () => {});
    pump();
    return true;
  }
  if (name === 'slow-token') {
    await sleep(Math.max(0, Number(query.ms ?? 5000)));
    if (res.destroyed) return true;
    return sendJson(res, 200, { access_token: 'slow', token_type: 'Bearer', expires_in: 3600 });
  }
  return false;
}

// ---------- test-control endpoints ----------

async function testRoute(req, res, path, rawBody) {
  const m = /^\/__test\/(last|requests)\/([^/]+)$/.exec(path);
  if (m && req.method === 'GET') {
    const list = recorded.get(m[2]) ?? [];
    return sendJson(res, 200, m[1] === 'last' ? (list[list.length - 1] ?? null) : list);
  }
  if (path === '/__test/reset' && req.method === 'POST') {
    recorded.clear();
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/__test/redirect-target') {
    record('redirect-target', req, rawBody);
    return sendJson(res, 200, { access_token: 'from-the-redirect-target', token_type: 'Bearer', expires_in: 3600 });
  }
  if (path === '/__test/apple-key' && req.method === 'GET') {
    return sendJson(res, 200, {
      privateKeyPem: appleClientKey.privatePem,
      keyId: CLIENTS.apple.keyId,
      teamId: CLIENTS.apple.teamId,
      clientId: CLIENTS.apple.clientId,
      audience: 'https://appleid.apple.com',
      issuer: config.apple.issuer,
    });
  }
  if (path === '/__test/clients' && req.method === 'GET') return sendJson(res, 200, CLIENTS);
  if (path === '/__test/keys' && req.method === 'GET') {
    return sendJson(res, 200, Object.fromEntries(Object.entries(KEYS).map(([k, v]) => [k, { kid: v.kid, publicJwk: v.publicJwk, publicPem: v.publicPem }])));
  }
  if (path === '/__test/config' && req.method === 'POST') {
    const body = parseJsonBody(rawBody);
    if (body.apple) Object.assign(config.apple, body.apple);
    return sendJson(res, 200, config);
  }
  if (path === '/__test/mint' && req.method === 'POST') {
    const body = parseJsonBody(rawBody);
    const key = KEYS[body.key ?? 'microsoft'];
    if (!key) return sendJson(res, 400, { error: `unknown key ${body.key}: apple, microsoft or linkedin` });
    return sendJson(res, 200, mint(body, { rsa: key, ec: strayEc }));
  }
  return sendJson(res, 404, { error: 'no such test endpoint', path });
}

// ---------- the server ----------

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  try {
    const rawBody = await readBody(req);
    if (path.startsWith('/__test/')) return await testRoute(req, res, path, rawBody);
    const name = path.split('/')[1];
    record(name, req, rawBody);
    if (await attack(name, req, res, query) !== false) return undefined;
    const handler = HANDLERS[name];
    if (handler) {
      const cty = req.headers['content-type'] ?? '';
      let body = {};
      if (cty.startsWith('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(rawBody));
      else if (cty.startsWith('application/json') && rawBody) body = JSON.parse(rawBody);
      // Token endpoints read their parameters from the form body; GitHub and Facebook also take the query.
      const params = (name === 'github' || name === 'facebook') ? { ...query, ...body } : body;
      if (await handler(req, res, path, query, params) !== false) return undefined;
    }
    return sendJson(res, 404, { error: 'not_found', path });
  } catch (err) {
    console.error('fakes error', err);
    if (!res.headersSent) return sendJson(res, 500, { error: 'test_peer_error', error_description: String(err?.message ?? err) });
    res.destroy();
  }
  return undefined;
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ base, pid: process.pid })}\n`);
});
exitWithParent(args, server);
