'use strict'
// The public API of the `authcore` npm package: a thin layer over the generated loader (`native.js`).
//
// What lives here and not in Rust, because it is about JS values the core never sees:
// * one object argument per method, `userContext` kept as the caller's very object (functions and all);
// * `override.functions` / `override.apis` in the supertokens-node style: the override gets `original` (a plain
//   object whose methods call the Rust layer below), returns the replacement, and only the methods it changed
//   cross back into JS when the core calls them;
// * errors: core errors become `AuthError` (`.code` = the core's stable code), and an error thrown by an
//   override reaches the caller as the very object that was thrown.

const { NativeEngine, operationNames, overridableOperations, declaredOperations, eventNames, jsonForm } = require('./native.js')

/** The core's declaration of every public operation (`authcore::ops`): `{name, kind, args, result, envelope}`. */
const OPERATIONS = Object.freeze(declaredOperations().map((op) => Object.freeze(op)))

/** What the native `call` takes as `op`: the operation's index in the native list. */
const OP_INDEX = new Map(operationNames().map((name, i) => [name, i]))

const overridable = (kind) => Object.freeze(overridableOperations().filter((op) => op.kind === kind).map((op) => op.name))

/** The overridable recipe functions, by name (`override.functions`), from the core's declaration. */
const RECIPE_FUNCTIONS = overridable('recipe')

/** The overridable API functions, by name (`override.apis`). */
const API_FUNCTIONS = overridable('api')

/** The event catalogue (`events: {signIn: async (event) => ...}`; `'*'` handles every event). */
const EVENT_NAMES = Object.freeze(eventNames())

/** An error of the engine: `.code` is the stable code (`TENANT_NOT_FOUND`, `INVALID_EMAIL`, ...). */
class AuthError extends Error {
  constructor(code, message, details) {
    super(message)
    this.name = 'AuthError'
    this.code = code
    this.details = details || {}
  }
}

function invalid(field, message) {
  return new AuthError('INVALID_INPUT', `invalid input for field '${field}': ${message}`, { field, reason: message })
}

/** The JSON-safe part of a userContext as JSON text, for the core's own copy (the object itself stays in JS). */
function contextJson(userContext) {
  try {
    const json = JSON.stringify(userContext)
    return typeof json === 'string' && json.charCodeAt(0) === 123 /* { */ ? json : '{}'
  } catch {
    return '{}'
  }
}

function messageOf(err) {
  if (err instanceof Error) return err.message
  try {
    return String(err)
  } catch {
    return 'non-printable value thrown'
  }
}

/** Per-engine JS state: live userContexts, thrown errors in transit, the override layers. */
class Host {
  constructor() {
    this.contexts = new Map() // id -> { object, refs }
    this.contextIds = new WeakMap() // object -> id
    this.nextContextId = 0
    this.errors = new Map() // id -> the thrown value
    this.nextErrorId = 0
    this.layers = { functions: [], apis: [] }
    this.hasLayers = false // set once the engine is open
    this.events = {}
  }

  acquire(userContext) {
    let id = this.contextIds.get(userContext)
    if (id !== undefined && this.contexts.has(id)) {
      this.contexts.get(id).refs += 1
      return id
    }
    do {
      this.nextContextId = (this.nextContextId + 1) >>> 0
    } while (this.nextContextId === 0 || this.contexts.has(this.nextContextId))
    id = this.nextContextId
    this.contexts.set(id, { object: userContext, refs: 1 })
    this.contextIds.set(userContext, id)
    return id
  }

  release(id) {
    const entry = this.contexts.get(id)
    if (entry && --entry.refs === 0) {
      this.contexts.delete(id)
      this.contextIds.delete(entry.object)
    }
  }

  stash(err) {
    do {
      this.nextErrorId = (this.nextErrorId + 1) >>> 0
    } while (this.nextErrorId === 0 || this.errors.has(this.nextErrorId))
    this.errors.set(this.nextErrorId, err)
    return this.nextErrorId
  }

  /** The one place a native error becomes a JS error. */
  raise(error) {
    const id = error.hostErrorId
    if (id !== undefined && id !== null && this.errors.has(id)) {
      const original = this.errors.get(id)
      this.errors.delete(id)
      return original
    }
    return new AuthError(error.code, error.message, error.details)
  }

  /** Calls `target.call` (the engine or an `original` layer) with one object argument; always a Promise. The
   *  native call answers with the result's JSON text or an error object, or a Promise of one of them when it
   *  had to wait for JS. A call without a `userContext` on an engine without JS overrides needs no context id
   *  (nothing can refer to its context: the core makes a fresh one), so it takes the synchronous path below,
   *  which costs no async function frame. */
  invoke(target, op, input) {
    if (this.hasLayers || (input !== undefined && (input === null || typeof input !== 'object' || input.userContext !== undefined))) {
      return this.invokeWithContext(target, op, input)
    }
    let json
    try {
      json = input === undefined ? '{}' : JSON.stringify(input)
    } catch (err) {
      // A BigInt or a cycle inside the arguments.
      return Promise.reject(invalid(op, messageOf(err)))
    }
    try {
      const out = target().call(OP_INDEX.get(op), json, 0, undefined)
      if (typeof out === 'string') return Promise.resolve(JSON.parse(out))
      if (typeof out === 'object' && out !== null && typeof out.then === 'function') return out.then((o) => this.settle(o))
      return Promise.reject(this.raise(out))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** [invoke] for a call that has a `userContext` or may reach a JS override: the context object is registered
   *  under an id for the duration of the call, so overrides receive that very object. */
  async invokeWithContext(target, op, input) {
    let args = input
    let userContext
    if (input === undefined) {
      args = {}
    } else if (input === null || typeof input !== 'object') {
      throw invalid('input', `${op} takes one object argument`)
    } else if (input.userContext !== undefined) {
      ;({ userContext, ...args } = input)
      if (userContext === null || typeof userContext !== 'object') {
        throw invalid('userContext', 'must be an object')
      }
    }
    let json
    try {
      json = JSON.stringify(args)
    } catch (err) {
      // A BigInt or a cycle inside the arguments.
      throw invalid(op, messageOf(err))
    }
    if (userContext === undefined) userContext = {}
    const id = this.acquire(userContext)
    let out
    try {
      out = target().call(OP_INDEX.get(op), json, id, contextJson(userContext))
      if (typeof out === 'object' && out !== null && typeof out.then === 'function') out = await out
    } finally {
      this.release(id)
    }
    return this.settle(out)
  }

  /** A native answer as the call's value: JSON text parsed, an error object raised. */
  settle(out) {
    if (typeof out === 'string') return JSON.parse(out)
    throw this.raise(out)
  }

  /** Called from Rust (through a thread-safe function) to run one JS override or event handler; `input` is
   *  JSON text. Never rejects: answers `{ok: true, value}` (`value`: JSON text) or `{ok: false, errorId, message}`. */
  async dispatch({ kind, layer, op, input, contextId }) {
    if (kind === 'events') {
      // A failing handler never reaches a caller: the core records it and redelivers the event later.
      try {
        await this.events[op](JSON.parse(input))
        return { ok: true }
      } catch (err) {
        return { ok: false, errorId: 0, message: messageOf(err) }
      }
    }
    try {
      const impl = this.layers[kind][layer]
      const entry = this.contexts.get(contextId)
      const value = await impl.run(op, { ...JSON.parse(input), userContext: entry ? entry.object : {} })
      return { ok: true, value: value === undefined ? undefined : JSON.stringify(value) }
    } catch (err) {
      return { ok: false, errorId: this.stash(err), message: messageOf(err) }
    }
  }
}

/**
 * The dispatcher the native engine calls overrides and handlers through. The engine holds it in a thread-safe
 * function, a strong reference the GC cannot see through, and the host reaches the engine (override layers hold
 * `original`, overrides may hold the AuthCore): holding the host strongly there would keep an AuthCore that was
 * dropped without `shutdown()` alive forever, database handles and all. So the dispatcher reaches the host
 * weakly; the AuthCore holds it, and so does every call in flight (through its pending Promise).
 */
function weakDispatcher(host) {
  const ref = new WeakRef(host)
  return (call) => {
    const h = ref.deref()
    return h !== undefined ? h.dispatch(call) : Promise.resolve({ ok: false, errorId: 0, message: 'the engine was dropped' })
  }
}

/** The `original` object of one layer: plain own properties, so `{...original, x}` keeps every method. */
function originalObject(host, names, layer) {
  const original = {}
  for (const name of names) {
    original[name] = (input) => host.invoke(layer, name, input)
  }
  return original
}

/** Runs the user's override builder; returns the layer and the names of the methods it replaced. */
function overrideLayer(host, kind, names, build, native, index) {
  const layerHandle = () => {
    if (!native.opened) throw new AuthError('INTERNAL_ERROR', 'the engine is not open yet')
    return native.engine.layer(kind, index)
  }
  let cached
  const original = originalObject(host, names, () => cached || (cached = layerHandle()))
  const impl = build(original)
  if (impl === null || typeof impl !== 'object') {
    throw invalid(`override.${kind}`, 'must return an object (e.g. {...original, signInUp: async (input) => ...})')
  }
  const replaced = names.filter((n) => typeof impl[n] === 'function' && impl[n] !== original[n])
  host.layers[kind][index] = { run: (op, input) => impl[op](input) }
  return replaced
}

/** `accountLinking.shouldDoAutomaticAccountLinking` as the innermost functions layer. */
function policyLayer(host, callback, index) {
  host.layers.functions[index] = {
    run: (op, i) => callback(i.newAccountInfo, i.user, i.session, i.tenantId, i.userContext),
  }
  return ['shouldDoAutomaticAccountLinking']
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw invalid('options', 'AuthCore.open takes one object')
  // `database` is checked by the core (`DatabaseConfig`), the one parse every language shares.
  const o = options.override || {}
  if (typeof o !== 'object') throw invalid('override', 'expected {functions?, apis?}')
  for (const k of ['functions', 'apis']) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw invalid(`override.${k}`, 'expected (original) => ({...original, ...})')
  }
  const events = options.events || {}
  if (typeof events !== 'object') throw invalid('events', 'expected {eventName: async (event) => ...}')
  for (const [name, handler] of Object.entries(events)) {
    if (name !== '*' && !EVENT_NAMES.includes(name)) throw invalid('events', `unknown event '${name}' (expected one of ${EVENT_NAMES.join(', ')} or '*')`)
    if (typeof handler !== 'function') throw invalid(`events.${name}`, 'expected a function')
  }
}

class AuthCore {
  #native
  #host

  constructor(token, native, host) {
    if (token !== OPEN) throw new TypeError('use `await AuthCore.open({...})`')
    this.#native = native
    this.#host = host
  }

  /**
   * Opens (or creates) the database and builds the engine.
   * @param {import('./index').AuthCoreOptions} options
   */
  static async open(options) {
    checkOptions(options)
    const host = new Host()
    const native = { engine: new NativeEngine(weakDispatcher(host)), opened: false }
    const functionLayers = []
    const apiLayers = []
    // Everything else is the core's JSON config (`AuthCoreConfig`, which refuses unknown keys); `events` there
    // is the handlers map, so the core's `events` settings come as `eventsConfig`.
    const { database, events, eventsConfig, override, accountLinking: linking, ...config } = options
    if (eventsConfig !== undefined) config.events = eventsConfig
    if (linking && typeof linking.shouldDoAutomaticAccountLinking === 'function') {
      const others = Object.keys(linking).filter((k) => k !== 'shouldDoAutomaticAccountLinking')
      if (others.length > 0) {
        throw invalid('accountLinking', `give either shouldDoAutomaticAccountLinking or the static rules, not both (${others.join(', ')})`)
      }
      functionLayers.push(policyLayer(host, linking.shouldDoAutomaticAccountLinking, functionLayers.length))
    } else if (linking !== undefined) {
      config.accountLinking = linking
    }
    const o = override || {}
    if (o.functions) {
      functionLayers.push(overrideLayer(host, 'functions', RECIPE_FUNCTIONS, o.functions, native, functionLayers.length))
    }
    if (o.apis) {
      apiLayers.push(overrideLayer(host, 'apis', API_FUNCTIONS, o.apis, native, apiLayers.length))
    }
    host.hasLayers = functionLayers.length + apiLayers.length > 0
    host.events = { ...(events || {}) }
    const eventHandlers = Object.keys(host.events)
    const envelope = await native.engine.open({ database, config, functionLayers, apiLayers, eventHandlers })
    if (!envelope.ok) throw host.raise(envelope.error)
    native.opened = true
    return new AuthCore(OPEN, native.engine, host)
  }

  #target = () => this.#native

  #call(op, input) {
    return this.#host.invoke(this.#target, op, input)
  }

  // One method per operation of the core's declaration (the overridable ones, hooks included, then the
  // engine's): `auth.getUser({userId, userContext})`.
  static {
    for (const name of OP_INDEX.keys()) {
      const { [name]: method } = { [name](input) { return this.#call(name, input) } }
      Object.defineProperty(AuthCore.prototype, name, { value: method, writable: true, configurable: true })
    }
  }

  /** Closes the engine: new calls fail with SHUT_DOWN at once, calls already running finish, pending events are
   *  delivered; resolves to `{delivered, failed}` of that last delivery. */
  async shutdown() {
    const envelope = await this.#native.shutdown()
    if (!envelope.ok) throw this.#host.raise(envelope.error)
    return envelope.value ?? { delivered: 0, failed: 0 }
  }
}

const OPEN = Symbol('AuthCore.open')

module.exports = { AuthCore, AuthError, RECIPE_FUNCTIONS, API_FUNCTIONS, EVENT_NAMES, OPERATIONS, jsonForm }
