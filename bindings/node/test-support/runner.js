'use strict'
// JS port of core/tests/common/runner.rs: replays one tests/scenarios/*.json file through the public JS API.

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const { AuthCore, AuthError, jsonForm } = require('..')
const { eq, matches, resolve } = require('./matcher')

const SCENARIOS_DIR = path.join(__dirname, '..', '..', '..', 'tests', 'scenarios')
const PEERS_DIR = path.join(__dirname, '..', '..', '..', 'tests', 'oidc')

function scenarioFiles() {
  return fs
    .readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(SCENARIOS_DIR, f))
}

const ok = (fields) => ({ status: 'OK', ...fields })

// Scripted overrides (tests/scenarios/README.md "Scripted overrides"), built as JS overrides.
const SCRIPTABLE = {
  functions: ['signInUp', 'manuallyCreateOrUpdateUser', 'shouldDoAutomaticAccountLinking', 'createPrimaryUser', 'linkAccounts', 'getUser', 'createNewSession',
    'getConfigForClientType', 'getAuthorisationRedirectURL', 'exchangeAuthCodeForOAuthTokens', 'getUserInfo'],
  apis: ['signInUpPOST', 'getRedirectionURL'],
}

/** A JS error standing for "host code threw": the caller must get this very object. */
class ScriptedError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ScriptedError'
    this.code = 'HOST_ERROR'
  }
}

function scriptedLayer(kind, script, recordings) {
  return (original) => {
    const impl = { ...original }
    for (const name of SCRIPTABLE[kind]) {
      const d = script[name]
      if (d === undefined) continue
      impl[name] = async (input) => {
        const cond = d.whenUserContext
        if (cond && typeof cond === 'object' && Object.entries(cond).some(([k, v]) => !eq(input.userContext[k], v))) {
          return original[name](input)
        }
        if (d.throw !== undefined) throw new ScriptedError(typeof d.throw?.message === 'string' ? d.throw.message : 'scripted')
        if (d.return !== undefined) return structuredClone(d.return)
        const result = await original[name](input)
        if (typeof d.record === 'string') {
          if (!recordings.has(d.record)) recordings.set(d.record, [])
          recordings.get(d.record).push(structuredClone(result))
        }
        return result
      }
    }
    return impl
  }
}

function scriptedOverrides(overrides, recordings) {
  if (overrides === undefined) return undefined
  const unknown = Object.keys(overrides).find((k) => k !== 'functions' && k !== 'apis')
  if (unknown !== undefined) throw new Error(`config.overrides: unknown key ${unknown}`)
  const out = {}
  for (const kind of ['functions', 'apis']) {
    const script = overrides[kind]
    if (script !== null && typeof script === 'object' && !Array.isArray(script)) out[kind] = scriptedLayer(kind, script, recordings)
  }
  return out
}

// --- peers (tests/scenarios/README.md "Peers"; runner.rs `peer_base`, `with_peers`) -----------------------

/** name -> Promise of the started peer (tests/oidc/peer.mjs): started on first use, shared by every scenario. */
const peers = new Map()

/**
 * The peer `name` (`op` or `fakes`), started on first use. Its child process does not keep this process alive
 * (unref'd) and dies with it: its stdin is a pipe from this process (peer.mjs also kills it on 'exit').
 */
function peer(name) {
  let started = peers.get(name)
  if (started === undefined) {
    started = (async () => {
      const launcher = await import(pathToFileURL(path.join(PEERS_DIR, 'peer.mjs')).href)
      const start = { op: launcher.startOp, fakes: launcher.startFakes }[name]
      if (start === undefined) throw new Error(`unknown peer ${name}`)
      const p = await start()
      p.child.unref()
      for (const stream of [p.child.stdin, p.child.stdout, p.child.stderr]) stream.unref()
      return p
    })()
    peers.set(name, started)
  }
  return started
}

/** The base URL of the peer `name`, starting it if needed. */
async function peerBase(name) {
  return (await peer(name)).base
}

/** Stops the peers this process started (they would also die with it); for an `after` hook. */
async function stopPeers() {
  const all = [...peers.values()]
  peers.clear()
  for (const started of all) {
    let p
    try {
      p = await started
    } catch {
      continue
    }
    p.child.ref() // so that waiting for its exit keeps the event loop alive
    await p.stop()
  }
}

/** Replaces every `{"$peer": name}` in `v` by that peer's base URL, starting the peers it names. */
async function withPeers(v) {
  const names = new Set()
  const isPeer = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && Object.hasOwn(x, '$peer')
  const collect = (x) => {
    if (isPeer(x)) {
      if (typeof x.$peer !== 'string') throw new Error('$peer needs a string')
      names.add(x.$peer)
    } else if (Array.isArray(x)) x.forEach(collect)
    else if (x !== null && typeof x === 'object') Object.values(x).forEach(collect)
  }
  collect(v)
  const bases = new Map()
  for (const name of names) bases.set(name, await peerBase(name))
  const replace = (x) => {
    if (isPeer(x)) return bases.get(x.$peer)
    if (Array.isArray(x)) return x.map(replace)
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, replace(y)]))
    return x
  }
  return replace(v)
}

/** The pseudo-op `drive`: POSTs `args` as JSON to `<op>/__test/drive`; the OP's JSON answer is the result. */
async function drive(args) {
  const { userContext, ...input } = args
  const base = await peerBase('op')
  const res = await fetch(`${base}/__test/drive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(input),
  })
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new AuthError('INTERNAL_ERROR', `drive: HTTP ${res.status}, not JSON (${e.message}): ${text.slice(0, 500)}`)
  }
}

/** Calls one op; resolves to the result in the runner's JSON shape (runner.rs `call_with`). */
async function call(auth, op, args, recordings = new Map()) {
  switch (op) {
    case 'getRecorded':
      if (typeof args.name !== 'string') throw new AuthError('INVALID_INPUT', 'expected a string', { field: 'name' })
      return ok({ calls: recordings.get(args.name) || [] })
    case 'drive':
      return drive(args)
    case 'signInUp':
    case 'manuallyCreateOrUpdateUser':
    case 'signInUpPOST':
    case 'createPrimaryUser':
    case 'canCreatePrimaryUser':
    case 'linkAccounts':
    case 'canLinkAccounts':
    case 'unlinkAccount':
    case 'createOrUpdateTenant':
    case 'deleteTenant':
    case 'associateUserToTenant':
    case 'disassociateUserFromTenant':
    case 'verifyEmail':
    case 'createNewSession':
    case 'getSession':
      return auth[op](args)
    case 'deleteUser':
      await auth.deleteUser(args)
      return ok({})
    case 'unverifyEmail':
      await auth.unverifyEmail(args)
      return ok({})
    case 'getUser':
      return ok({ user: await auth.getUser(args) })
    case 'listUsersByAccountInfo':
      return ok({ users: await auth.listUsersByAccountInfo(args) })
    case 'getUsers':
      return ok(await auth.getUsers(args))
    case 'getTenant':
      return ok({ tenant: await auth.getTenant(args) })
    case 'listAllTenants':
      return ok({ tenants: await auth.listAllTenants(args) })
    case 'isEmailVerified':
      return ok({ isVerified: await auth.isEmailVerified(args) })
    case 'revokeSession':
      return ok({ wasRevoked: await auth.revokeSession(args) })
    case 'revokeAllSessionsForUser':
      return ok({ revokedSessionHandles: await auth.revokeAllSessionsForUser(args) })
    case 'getAllSessionHandlesForUser':
      return ok({ sessionHandles: await auth.getAllSessionHandlesForUser(args) })
    case 'sleep':
      await new Promise((r) => setTimeout(r, Number(args.ms) || 0))
      return ok({})
    default:
      // Any other declared operation: its derived method, its result in the declared JSON form.
      if (typeof auth[op] !== 'function') throw new AuthError('INVALID_INPUT', `unknown op ${op}`, { field: 'op' })
      return jsonForm(op, await auth[op](args))
  }
}

/** Runs a scenario file; throws an Error describing the first failing step. `database`: the `database` option
 *  to open (default: a new SQLite file in a temporary directory). */
async function runScenario(file, database = undefined) {
  const scenario = await withPeers(JSON.parse(fs.readFileSync(file, 'utf8')))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-'))
  const cfg = scenario.config || {}
  const delivered = []
  const options = {
    database: database ?? { sqlite: path.join(dir, 'auth.db') },
    events: { '*': (event) => delivered.push(event) },
  }
  if (cfg.providers !== undefined) options.providers = cfg.providers
  if (cfg.accountLinking !== undefined) options.accountLinking = cfg.accountLinking
  if (cfg.redirect !== undefined) options.redirect = cfg.redirect
  if (cfg.events !== undefined) options.eventsConfig = cfg.events
  if (cfg.providerSecretsKey !== undefined) options.providerSecretsKey = cfg.providerSecretsKey
  const recordings = new Map()
  let auth
  try {
    try {
      const override = scriptedOverrides(cfg.overrides, recordings)
      if (override !== undefined) options.override = override
      auth = await AuthCore.open(options)
    } catch (e) {
      throw new Error(`config: ${e.message}`)
    }
    for (const t of cfg.tenants || []) {
      try {
        await call(auth, 'createOrUpdateTenant', { tenantId: t.tenantId, config: t.config || {} })
      } catch (e) {
        throw new Error(`tenant setup: ${e.code} ${e.message}`)
      }
    }
    delivered.length = 0
    const caps = new Map()
    if (!Array.isArray(scenario.steps)) throw new Error('no steps')
    for (const [i, step] of scenario.steps.entries()) {
      const op = step.op
      const at = `step ${i} (${op})`
      const args = resolve(step.args || {}, caps)
      let value
      let error
      try {
        value = await call(auth, op, args, recordings)
      } catch (e) {
        error = e
      }
      if (error !== undefined) {
        if (error instanceof Error && error.code === 'HOST_ERROR' && !(error instanceof ScriptedError)) {
          throw new Error(`${at}: a scripted override's error did not reach the caller unchanged: ${error.message}`)
        }
        if (step.expectError === undefined) throw new Error(`${at}: unexpected error ${error.code} (${error.message})`)
        if (error.code !== step.expectError) {
          throw new Error(`${at}: expected error ${step.expectError}, got ${error.code} (${error.message})`)
        }
      } else if (step.expectError !== undefined) {
        throw new Error(`${at}: expected error ${step.expectError}, got ${JSON.stringify(value)}`)
      } else {
        if (typeof step.capture === 'string') caps.set(step.capture, value)
        if (step.expect !== undefined) {
          try {
            matches(step.expect, value, caps, 'result')
          } catch (e) {
            throw new Error(`${at}: ${e.message}\n    actual: ${JSON.stringify(value)}`)
          }
        }
      }
      // Every step's delivered events must equal its `events` list (names or matchers), in order.
      const events = delivered.splice(0)
      if (step.events !== undefined && !Array.isArray(step.events)) throw new Error(`${at}: events must be an array`)
      const expected = (step.events || []).map((x) => (typeof x === 'string' ? { name: x } : x))
      try {
        matches(expected, events, caps, 'events')
      } catch (e) {
        throw new Error(`${at}: ${e.message}\n    delivered: ${JSON.stringify(events.map((x) => x.name))}`)
      }
    }
  } finally {
    if (auth) await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The PostgreSQL server the tests may use (`AUTHCORE_TEST_POSTGRES`, which `scripts/test` exports after
 *  starting a throwaway one with `scripts/pg-test-server`), or `undefined`. */
function postgresUrl() {
  const url = (process.env.AUTHCORE_TEST_POSTGRES || '').trim()
  return url === '' ? undefined : url
}

/** A schema name no other run uses, so each scenario starts on empty tables of its own. */
function freshSchema() {
  return `s_${crypto.randomUUID().replaceAll('-', '')}`
}

module.exports = { postgresUrl, freshSchema, runScenario, scenarioFiles, call, peerBase, stopPeers, withPeers, SCENARIOS_DIR }
