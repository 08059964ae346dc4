'use strict'
// 1,000 concurrent signInUp calls through an async JS override that awaits the original and an async event
// handler, plus 50 calls racing for one identity: every result is right, exactly one user exists for the raced
// identity, every createUser event reaches the handler before its call resolves, nothing deadlocks.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore } = require('..')

const DISTINCT = 1000
const RACERS = 50

test('1,000 concurrent signInUp calls with an async override and an async event handler, 50 racing for one identity', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-cc-'))
  let overrideCalls = 0
  let inFlight = 0
  let maxInFlight = 0
  const created = new Map()
  let handlerCalls = 0
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    events: {
      '*': async (event) => {
        await new Promise((r) => setImmediate(r))
        handlerCalls += 1
        if (event.name === 'createUser') created.set(event.userId, (created.get(event.userId) || 0) + 1)
      },
    },
    override: {
      functions: (original) => ({
        ...original,
        signInUp: async (input) => {
          overrideCalls += 1
          inFlight += 1
          maxInFlight = Math.max(maxInFlight, inFlight)
          try {
            await new Promise((r) => setImmediate(r))
            const result = await original.signInUp(input)
            input.userContext.sawResult = result.status
            return result
          } finally {
            inFlight -= 1
          }
        },
      }),
    },
  })
  try {
    const distinct = Array.from({ length: DISTINCT }, (_, i) => {
      const userContext = { i }
      return auth
        .signInUp({
          tenantId: 'public',
          thirdPartyId: 'google',
          thirdPartyUserId: `user-${i}`,
          email: { id: `user-${i}@example.com`, isVerified: i % 2 === 0 },
          userContext,
        })
        .then((r) => {
          // Awaited by the operation: the user's createUser was handled before the call resolved.
          assert.equal(created.get(r.user.id), 1, 'createUser delivered before the call resolved')
          return { r, userContext }
        })
    })
    const racing = Array.from({ length: RACERS }, () =>
      auth.signInUp({
        tenantId: 'public',
        thirdPartyId: 'github',
        thirdPartyUserId: 'the-one',
        email: { id: 'one@example.com', isVerified: true },
      }),
    )
    const [distinctResults, racingResults] = await Promise.all([Promise.all(distinct), Promise.all(racing)])

    assert.equal(overrideCalls, DISTINCT + RACERS)
    assert.ok(maxInFlight > 1, `overrides ran concurrently (max in flight ${maxInFlight})`)

    const ids = new Set()
    distinctResults.forEach(({ r, userContext }, i) => {
      assert.equal(r.status, 'OK')
      assert.equal(r.createdNewUser, true)
      assert.equal(r.user.loginMethods.length, 1)
      assert.deepEqual(r.user.thirdParty, [{ id: 'google', userId: `user-${i}` }])
      assert.deepEqual(r.user.emails, [`user-${i}@example.com`])
      assert.equal(r.user.loginMethods[0].verified, i % 2 === 0)
      assert.equal(userContext.sawResult, 'OK', 'each call kept its own userContext')
      assert.equal(userContext.i, i)
      ids.add(r.user.id)
    })
    assert.equal(ids.size, DISTINCT)

    assert.ok(racingResults.every((r) => r.status === 'OK'))
    assert.equal(racingResults.filter((r) => r.createdNewUser).length, 1, 'exactly one racer created the user')
    const raced = new Set(racingResults.map((r) => r.user.id))
    assert.equal(raced.size, 1)
    assert.ok(!ids.has([...raced][0]))

    const users = await auth.listUsersByAccountInfo({
      tenantId: 'public',
      accountInfo: { thirdParty: { id: 'github', userId: 'the-one' } },
    })
    assert.equal(users.length, 1)
    assert.equal(created.size, DISTINCT + 1, 'one createUser per created user')
    assert.equal(handlerCalls, DISTINCT + 1, 'no other events: every sign-in of the race kept a verified email')
    const page = await auth.getUsers({ limit: 500 })
    assert.equal(page.users.length, 500)
    assert.equal(typeof page.nextPaginationToken, 'string')
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
