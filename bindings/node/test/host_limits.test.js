'use strict'
// Host code that never answers fails the call with HOST_TIMEOUT (hostTimeoutMs) and leaves the engine usable;
// cyclic or absurdly deep arguments are INVALID_INPUT, with the same limit as every binding (issue #11).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore } = require('..')

async function withAuth(options, body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-limits-'))
  const auth = await AuthCore.open({ database: { sqlite: path.join(dir, 'auth.db') }, ...options })
  try {
    await body(auth)
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const signIn = (uid) => ({
  tenantId: 'public',
  thirdPartyId: 'google',
  thirdPartyUserId: uid,
  email: { id: `${uid}@example.com`, isVerified: true },
})

test('an override that never answers gives HOST_TIMEOUT and the engine keeps working', async () => {
  await withAuth(
    {
      hostTimeoutMs: 200,
      override: {
        functions: (original) => ({
          ...original,
          getUser: async (input) => (input.userId === 'hang' ? new Promise(() => {}) : original.getUser(input)),
        }),
      },
    },
    async (auth) => {
      const started = Date.now()
      await assert.rejects(auth.getUser({ userId: 'hang' }), (e) => e.code === 'HOST_TIMEOUT')
      const took = Date.now() - started
      assert.ok(took >= 150 && took < 5000, `took ${took} ms`)
      const r = await auth.signInUp(signIn('g1'))
      assert.equal(r.status, 'OK')
      const found = await auth.getUser({ userId: r.user.id })
      assert.equal(found.id, r.user.id)
    },
  )
})

test('cyclic and very deep arguments are INVALID_INPUT, not a crash', async () => {
  await withAuth({}, async (auth) => {
    const r = await auth.signInUp(signIn('g2'))
    const cyclic = { a: 1 }
    cyclic.self = cyclic
    await assert.rejects(
      auth.createNewSession({ tenantId: 'public', recipeUserId: r.recipeUserId, accessTokenPayload: cyclic }),
      (e) => e.code === 'INVALID_INPUT',
    )
    for (const depth of [65, 200, 10000]) {
      let deep = {}
      for (let i = 0; i < depth; i++) deep = { d: deep }
      await assert.rejects(
        auth.createNewSession({ tenantId: 'public', recipeUserId: r.recipeUserId, accessTokenPayload: deep }),
        (e) => e.code === 'INVALID_INPUT',
        `depth ${depth}`,
      )
    }
    let ok = {}
    for (let i = 0; i < 60; i++) ok = { d: ok }
    const s = await auth.createNewSession({ tenantId: 'public', recipeUserId: r.recipeUserId, accessTokenPayload: ok })
    assert.equal(s.status, 'OK')
  })
})
