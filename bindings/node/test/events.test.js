'use strict'
// Event handlers in JS: delivered after commit, once per request flow (even when an override calls original),
// a failing handler never fails the operation and its event is redelivered.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore, AuthError } = require('..')

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-ev-'))
}

test('events of a request are delivered when its outermost call returns, not inside original', async () => {
  const dir = tempDir()
  const delivered = []
  const seenInsideOverride = []
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    accountLinking: { shouldAutomaticallyLink: true },
    events: {
      '*': async (event) => {
        await new Promise((r) => setImmediate(r))
        delivered.push(event)
      },
    },
    override: {
      apis: (original) => ({
        ...original,
        signInUpPOST: async (input) => {
          const response = await original.signInUpPOST(input)
          // The core work is committed, but this request's flow is still running: nothing delivered yet.
          seenInsideOverride.push(delivered.length)
          return response
        },
      }),
    },
  })
  try {
    const r = await auth.signInUpPOST({
      thirdPartyId: 'google',
      userInfo: { thirdPartyUserId: 'g1', email: { id: 'a@example.com', isVerified: true } },
    })
    assert.equal(r.status, 'OK')
    assert.deepEqual(seenInsideOverride, [0])
    assert.deepEqual(
      delivered.map((e) => e.name),
      ['createUser', 'updateUser', 'session', 'signIn'],
    )
    const signIn = delivered[3]
    assert.equal(signIn.isNewUser, true)
    assert.equal(signIn.userId, r.user.id)
    assert.equal(signIn.tenantId, 'public')
    assert.equal(typeof signIn.id, 'string')
    assert.equal(typeof signIn.time, 'number')

    delivered.length = 0
    const session = await auth.createNewSession({ tenantId: 'public', recipeUserId: r.user.id })
    await auth.revokeSession({ sessionHandle: session.session.sessionHandle })
    assert.deepEqual(delivered.map((e) => e.name), ['session', 'signOut'])
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a failing handler does not fail the operation; the event is redelivered; the audit log shows it', async () => {
  const dir = tempDir()
  let fail = true
  const received = []
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    events: {
      createUser: (event) => {
        received.push(event.id)
        if (fail) throw new Error('handler down')
      },
    },
  })
  try {
    const r = await auth.signInUp({
      tenantId: 'public',
      thirdPartyId: 'google',
      thirdPartyUserId: 'g1',
      email: { id: 'a@example.com', isVerified: false },
    })
    assert.equal(r.status, 'OK')
    assert.equal(received.length, 1)

    const log = await auth.listEvents({ userId: r.user.id })
    assert.equal(log.events.length, 1)
    assert.equal(log.events[0].name, 'createUser')
    assert.equal(log.events[0].deliveredAt, null)
    assert.equal(log.events[0].attempts, 1)
    assert.match(log.events[0].lastError, /handler down/)

    fail = false
    assert.deepEqual(await auth.deliverPendingEvents(), { delivered: 1, failed: 0 })
    assert.deepEqual(received, [received[0], received[0]], 'redelivered with the same id')
    const after = await auth.listEvents({ userId: r.user.id })
    assert.equal(typeof after.events[0].deliveredAt, 'number')

    await assert.rejects(auth.listEvents({ nope: 1 }), (e) => e instanceof AuthError && e.code === 'INVALID_INPUT')
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('unknown event names are refused', async () => {
  const dir = tempDir()
  try {
    await assert.rejects(
      AuthCore.open({ database: { sqlite: path.join(dir, 'auth.db') }, events: { signUp: () => {} } }),
      (e) => e instanceof AuthError && e.code === 'INVALID_INPUT',
    )
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
