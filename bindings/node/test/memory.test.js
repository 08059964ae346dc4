'use strict'
// Memory: 100,000 calls that cross callbacks in both directions must not grow the process. Each call is a
// `signInUp` sign-in of one of a fixed set of identities, through an async JS override of `signInUp` that awaits
// `original.signInUp` (JS -> Rust -> JS -> Rust), and each sign-in flips the identity's email, so the core emits
// an `updateUser` event that an async JS handler receives (Rust -> JS) before the call resolves. Every call has
// its own userContext object. RSS is measured after a warm-up of 10,000 calls and after the 100,000, each time
// after a full GC; it must grow by less than 20 MiB. Anything the binding kept per call (a context entry, a
// stashed error, a thread-safe function call, a Promise, a native handle) would add up over 100,000 calls.
// (Measured on 2 slow cores: 2-6 MiB of growth in 12-18 s; keeping every result in an array grows it ~200 MiB,
// never removing the native context registry's entries ~96 MiB.)
//
// Also: an AuthCore dropped without shutdown() is garbage-collected and closes its database files, even when its
// override holds it.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore } = require('..')

const IDENTITIES = 64
const CONCURRENCY = 4
const WARMUP = 10_000
const CALLS = 100_000
const LIMIT_MIB = 20

/** `global.gc`, exposed at run time when node was started without --expose-gc. */
function gcFunction() {
  if (typeof global.gc === 'function') return global.gc
  require('node:v8').setFlagsFromString('--expose-gc')
  return require('node:vm').runInNewContext('gc')
}

const MiB = 1024 * 1024

test('100,000 calls through an async override and an async event handler do not grow RSS', { timeout: 300_000 }, async (t) => {
  const gc = gcFunction()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-mem-'))
  let overrideCalls = 0
  let events = 0
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    events: {
      updateUser: async (event) => {
        await null
        if (event.name === 'updateUser') events += 1
      },
    },
    override: {
      functions: (original) => ({
        ...original,
        signInUp: async (input) => {
          overrideCalls += 1
          input.userContext.seen = true
          const result = await original.signInUp(input)
          return result
        },
      }),
    },
  })

  const input = (k, round) => ({
    tenantId: 'public',
    thirdPartyId: 'google',
    thirdPartyUserId: `mem-${k}`,
    email: { id: `${round % 2 === 0 ? 'a' : 'b'}-${k}@example.com`, isVerified: false },
    userContext: { k, round },
  })

  // Call number i signs identity i % IDENTITIES in with round floor(i / IDENTITIES): every call after an
  // identity's sign-up changes its email (a <-> b), so every one of them emits `updateUser`. Calls run in batches
  // of CONCURRENCY consecutive numbers, so calls in flight together always have distinct identities.
  let next = 0
  async function one(i) {
    const k = i % IDENTITIES
    const round = Math.floor(i / IDENTITIES)
    const r = await auth.signInUp(input(k, round))
    if (r.status !== 'OK' || r.createdNewUser !== (round === 0) || r.user.emails[0] !== input(k, round).email.id) {
      throw new Error(`call ${i}: unexpected result ${JSON.stringify(r)}`)
    }
  }
  async function run(count) {
    const end = next + count
    while (next < end) {
      const batch = []
      for (let j = 0; j < CONCURRENCY && next < end; j++) batch.push(one(next++))
      await Promise.all(batch)
    }
  }

  async function rss() {
    // Let finalizers and pending thread-safe function releases run, then collect everything.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r))
      gc()
    }
    return process.memoryUsage().rss
  }

  try {
    await run(WARMUP)
    const before = await rss()
    const started = Date.now()
    await run(CALLS)
    const seconds = (Date.now() - started) / 1000
    const after = await rss()
    const grown = (after - before) / MiB
    const line = `RSS after ${WARMUP} warm-up calls ${(before / MiB).toFixed(1)} MiB, after ${CALLS} more ` +
      `${(after / MiB).toFixed(1)} MiB: grew ${grown.toFixed(1)} MiB (limit ${LIMIT_MIB}); ${CALLS} calls in ${seconds.toFixed(1)} s`
    t.diagnostic(line)

    assert.equal(overrideCalls, WARMUP + CALLS)
    assert.equal(events, WARMUP + CALLS - IDENTITIES, 'one updateUser per sign-in')
    assert.ok(grown < LIMIT_MIB, line)
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('an AuthCore dropped without shutdown() is collected and closes its database', { skip: !fs.existsSync('/proc/self/fd') }, async () => {
  // The engine holds the JS dispatcher (a thread-safe function: a strong reference the GC cannot see through)
  // and the JS side reaches the engine (`original`, and here an override that holds the AuthCore itself): if the
  // dispatcher held the JS state strongly, nothing of this would ever be collected.
  const gc = gcFunction()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-drop-'))
  const openFds = () => fs.readdirSync('/proc/self/fd').length
  const collect = async () => {
    for (let i = 0; i < 5; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  try {
    await collect()
    const before = openFds()
    const ENGINES = 20
    let collected = 0
    const registry = new FinalizationRegistry(() => { collected += 1 })
    // Each engine's override holds its own AuthCore (a cycle through JS), and nothing else holds it afterwards.
    const openAndDrop = async (i) => {
      const self = {}
      const auth = await AuthCore.open({
        database: { sqlite: path.join(dir, `auth-${i}.db`) },
        events: { '*': async () => {} },
        override: {
          functions: (original) => ({
            ...original,
            getUser: async (input) => (self.auth === auth ? original.getUser(input) : null),
          }),
        },
      })
      self.auth = auth
      assert.equal(await auth.getUser({ userId: 'nobody' }), null)
      await auth.signInUp({ tenantId: 'public', thirdPartyId: 'google', thirdPartyUserId: `d-${i}`, email: { id: `d-${i}@example.com`, isVerified: true } })
      registry.register(auth, i)
    }
    for (let i = 0; i < ENGINES; i++) await openAndDrop(i)
    await collect()
    assert.equal(collected, ENGINES, 'every dropped AuthCore was collected')
    const after = openFds()
    assert.ok(after <= before + 2, `open file descriptors: ${before} before, ${after} after dropping ${ENGINES} engines`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
