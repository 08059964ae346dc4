'use strict'
// JS port of core/tests/common/runner.rs: replays one tests/scenarios/*.json file through the public JS API.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { AuthCore, AuthError, jsonForm } = require('..')
const { eq, matches, resolve } = require('./matcher')

const SCENARIOS_DIR = path.join(__dirname, '..', '..', '..', 'tests', 'scenarios')

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
  functions: ['signInUp', 'manuallyCreateOrUpdateUser', 'shouldDoAutomaticAccountLinking', 'createPrimaryUser', 'linkAccounts', 'getUser', 'createNewSession'],
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

/** Calls one op; resolves to the result in the runner's JSON shape (runner.rs `call_with`). */
async function call(auth, op, args, recordings = new Map()) {
  switch (op) {
    case 'getRecorded':
      if (typeof args.name !== 'string') throw new AuthError('INVALID_INPUT', 'expected a string', { field: 'name' })
      return ok({ calls: recordings.get(args.name) || [] })
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

/** Runs a scenario file; throws an Error describing the first failing step. */
async function runScenario(file) {
  const scenario = JSON.parse(fs.readFileSync(file, 'utf8'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-'))
  const cfg = scenario.config || {}
  const delivered = []
  const options = { database: { sqlite: path.join(dir, 'auth.db') }, events: { '*': (event) => delivered.push(event) } }
  if (cfg.providers !== undefined) options.providers = cfg.providers
  if (cfg.accountLinking !== undefined) options.accountLinking = cfg.accountLinking
  if (cfg.redirect !== undefined) options.redirect = cfg.redirect
  if (cfg.events !== undefined) options.eventsConfig = cfg.events
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

module.exports = { runScenario, scenarioFiles, call, SCENARIOS_DIR }
