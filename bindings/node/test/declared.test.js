'use strict'
// Every name JS uses comes from the core's declaration: the override lists, the AuthCore methods (hooks
// included), and the argument objects overrides receive (absent optional arguments left out, getRedirectionURL's
// context taken whole).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const native = require('../native.js')
const { AuthCore, RECIPE_FUNCTIONS, API_FUNCTIONS } = require('..')

test('override lists and AuthCore methods are the declared ones', () => {
  const declared = native.overridableOperations()
  assert.deepEqual(RECIPE_FUNCTIONS, declared.filter((op) => op.kind === 'recipe').map((op) => op.name))
  assert.deepEqual(API_FUNCTIONS, declared.filter((op) => op.kind === 'api').map((op) => op.name))
  for (const name of native.operationNames()) {
    assert.equal(typeof AuthCore.prototype[name], 'function', name)
    assert.equal(AuthCore.prototype[name].name, name)
  }
  for (const op of native.declaredOperations()) assert.ok(native.operationNames().includes(op.name), op.name)
})

test('overrides receive declared arguments; absent optional ones are left out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-decl-'))
  const seen = []
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    override: {
      functions: (original) => ({
        ...original,
        isEmailVerified: async (input) => {
          const { userContext, ...args } = input
          seen.push(args)
          assert.equal(typeof userContext, 'object')
          return original.isEmailVerified(input)
        },
      }),
    },
  })
  try {
    const r = await auth.signInUp({
      tenantId: 'public',
      thirdPartyId: 'google',
      thirdPartyUserId: 'g1',
      email: { id: 'a@example.com', isVerified: true },
    })
    assert.equal(await auth.isEmailVerified({ recipeUserId: r.recipeUserId }), true)
    assert.equal(await auth.isEmailVerified({ recipeUserId: r.recipeUserId, email: 'b@example.com' }), false)
    assert.deepEqual(seen.slice(-2), [{ recipeUserId: r.recipeUserId }, { recipeUserId: r.recipeUserId, email: 'b@example.com' }])
    assert.deepEqual(await auth.deleteUser({ userId: r.user.id }), { status: 'OK' })
  } finally {
    await auth.shutdown()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
