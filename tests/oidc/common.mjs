// Shared helpers of the two test peers (op.mjs, fakes.mjs): start-up protocol, JSON bodies, JWT minting.
// Loopback only; nothing here is meant for production.

import crypto from 'node:crypto';
import net from 'node:net';

// Everything a library prints goes to stderr: stdout carries exactly one JSON line (the start-up protocol).
export function quietStdout() {
  const toStderr = (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export function parseArgs(argv) {
  const out = { port: 0, ignoreStdin: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') out.port = Number(argv[++i] ?? 0);
    else if (argv[i].startsWith('--port=')) out.port = Number(argv[i].slice(7));
    else if (argv[i] === '--ignore-stdin') out.ignoreStdin = true;
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`bad --port ${out.port}`);
  return out;
}

// A free loopback port, found before start-up because the issuer URL must be known first.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Exit when stdin closes (the spawning test went away) or on SIGTERM/SIGINT.
export function exitWithParent({ ignoreStdin }, server) {
  const stop = () => {
    try { server.close(); } catch { /* already closed */ }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (!ignoreStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

export function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

// A JSON request body; empty, null or a non-object body counts as {}.
export function parseJsonBody(text) {
  if (!text) return {};
  const v = JSON.parse(text);
  return v !== null && typeof v === 'object' ? v : {};
}

export const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

export const b64u = (input) => Buffer.from(input).toString('base64url');

// An RS256 signing key: { kid, privateKey (KeyObject), publicJwk, privateJwk, publicPem }.
export function newRsaKey(kid) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ format: 'jwk' });
  return {
    kid,
    alg: 'RS256',
    privateKey,
    publicKey,
    publicJwk: { kty: 'RSA', kid, use: 'sig', alg: 'RS256', n: pub.n, e: pub.e },
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

// An ES256 (P-256) key: { kid, privateKey, publicJwk, privatePem }.
export function newEcKey(kid) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  return {
    kid,
    alg: 'ES256',
    privateKey,
    publicKey,
    publicJwk: { kty: 'EC', kid, use: 'sig', alg: 'ES256', crv: pub.crv, x: pub.x, y: pub.y },
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  };
}

// Signs a JWT by hand (so the attack variants are possible). key: an RSA or EC KeyObject; HS256 takes a secret.
export function signJwt(header, claims, { alg, key, secret }) {
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  let sig;
  switch (alg) {
    case 'none':
      sig = '';
      break;
    case 'RS256':
      sig = crypto.sign('sha256', Buffer.from(signingInput), key).toString('base64url');
      break;
    case 'ES256':
      sig = crypto.sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      break;
    case 'HS256':
      sig = crypto.createHmac('sha256', secret).update(signingInput).digest('base64url');
      break;
    default:
      throw new Error(`unsupported alg ${alg}`);
  }
  return `${signingInput}.${sig}`;
}

// Decodes (without verifying) a compact JWS: { header, payload, signingInput, signature }.
export function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

// POST /__test/mint: { claims, alg: "RS256"|"none"|"HS256-with-public-key"|"ES256", kid?, hmacSecret?: "pem"|"jwk" }.
// rsa: the server's current RS256 signing key (the one its JWKS publishes); ec: an ES256 key that no JWKS publishes.
export function mint(request, { rsa, ec }) {
  const claims = request.claims ?? {};
  const alg = request.alg ?? 'RS256';
  const typ = request.typ ?? 'JWT';
  switch (alg) {
    case 'RS256': {
      const kid = request.kid ?? rsa.kid;
      return { id_token: signJwt({ alg, typ, kid }, claims, { alg, key: rsa.privateKey }), alg, kid };
    }
    case 'ES256': {
      const kid = request.kid ?? ec.kid;
      return {
        id_token: signJwt({ alg, typ, kid }, claims, { alg, key: ec.privateKey }),
        alg,
        kid,
        publicJwk: ec.publicJwk,
      };
    }
    case 'none': {
      const header = { alg: 'none', typ };
      if (request.kid !== undefined) header.kid = request.kid;
      return { id_token: signJwt(header, claims, { alg: 'none' }), alg: 'none', kid: request.kid ?? null };
    }
    case 'HS256-with-public-key': {
      const kid = request.kid ?? rsa.kid;
      const which = request.hmacSecret ?? 'pem';
      const secret = which === 'jwk' ? JSON.stringify(rsa.publicJwk) : rsa.publicPem;
      return {
        id_token: signJwt({ alg: 'HS256', typ, kid }, claims, { alg: 'HS256', secret }),
        alg: 'HS256',
        kid,
        hmacSecret: secret,
      };
    }
    default:
      throw new Error(`unknown alg ${alg}`);
  }
}
