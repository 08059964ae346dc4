// Test support for the Node binding's tests: start the OAuth/OIDC test peers of this folder and drive the OP.
//
//   import { startOp, startFakes, drive } from '../../tests/oidc/peer.mjs';
//   const op = await startOp();            // op.base === op.issuer === 'http://127.0.0.1:PORT'
//   const cb = await op.drive(authUrl, 'alice');   // { callbackUrl, code, state, iss } or { error, ... }
//   await op.stop();
//
// Each peer is a child process with a piped stdin: it exits when stop() is called, when this process exits,
// or when this process dies (its stdin closes). Node 20+ (global fetch).

import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const START_TIMEOUT_MS = 30_000;

async function jsonRequest(method, url, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * Walks the OP's login and consent pages for an authorisation URL, as `login`; answers the redirect's
 * parameters {callbackUrl, code, state, iss} or {error, error_description, ...}.
 * @param {string} opBase the OP's issuer
 */
export function drive(opBase, url, login = 'alice', { consent = true } = {}) {
  return jsonRequest('POST', `${opBase}/__test/drive`, { url, login, consent });
}

class Peer {
  constructor(child, base, pid, stderr) {
    this.child = child;
    this.base = base;
    this.pid = pid;
    this._stderr = stderr;
  }

  url(p) { return `${this.base}${p}`; }

  stderr() { return this._stderr.join(''); }

  get(p) { return jsonRequest('GET', this.url(p)); }

  post(p, body = {}) { return jsonRequest('POST', this.url(p), body); }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => { this.child.once('exit', resolve); });
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    await exited;
  }
}

class OpPeer extends Peer {
  get issuer() { return this.base; }

  drive(url, login = 'alice', options = {}) { return drive(this.base, url, login, options); }

  stats() { return this.get('/__test/stats'); }

  resetStats() { return this.post('/__test/stats/reset'); }

  rotateKeys(options = {}) { return this.post('/__test/rotate-keys', options); }

  tokenDelay(ms) { return this.post('/__test/token-delay', { ms }); }

  mint(request) { return this.post('/__test/mint', request); }
}

class FakesPeer extends Peer {
  last(provider) { return this.get(`/__test/last/${provider}`); }

  appleKey() { return this.get('/__test/apple-key'); }

  mint(request) { return this.post('/__test/mint', request); }
}

async function start(script, urlKey, Kind, { port = 0 } = {}) {
  const args = [path.join(HERE, script)];
  if (port) args.push('--port', String(port));
  const child = spawn(process.execPath, args, { cwd: HERE, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { if (stderr.length < 10_000) stderr.push(d); });
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const rl = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} printed no start-up line in ${START_TIMEOUT_MS} ms; stderr:\n${stderr.join('')}`)), START_TIMEOUT_MS);
    rl.once('line', (l) => { clearTimeout(timer); resolve(l); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited (${code}) before listening; stderr:\n${stderr.join('')}`)); });
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
  }).catch((err) => { killOnExit(); throw err; });
  const info = JSON.parse(line);
  // Keep draining stdout; don't let the pipes keep this process alive.
  child.stdout.resume();
  return new Kind(child, info[urlKey], info.pid, stderr);
}

/** Starts the real OpenID Provider (op.mjs). */
export function startOp(options) { return start('op.mjs', 'issuer', OpPeer, options); }

/** Starts the provider fakes (fakes.mjs). */
export function startFakes(options) { return start('fakes.mjs', 'base', FakesPeer, options); }
