'use strict'
// Overrides in the supertokens-node style: `original` in, replacement out; the core calls inner operations
// through the final object; JS errors reach the caller unchanged; the linking policy as a JS callback.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore, AuthError } = require('..')

function tempDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-ov-'))
  return { sqlite: path.join(dir, 'auth.db'), dir }
}

async function withAuth(options, body) {
  const db = tempDb()
  const auth = await AuthCore.open({ database: { sqlite: db.sqlite }, ...options })
  try {
    await body(auth)
  } finally {
    await auth.shutdown()
    fs.rmSync(db.dir, { recursive: true, force: true })
  }
}

const ALV = { shouldAutomaticallyLink: true, shouldRequireVerification: true }

const tp = (thirdPartyId, thirdPartyUserId, email, isVerified) => ({
  tenantId: 'public',
  thirdPartyId,
  thirdPartyUserId,
  email: { id: email, isVerified },
})

class CustomError extends Error {
  constructor(message) {
    super(message)
    this.name = 'CustomError'
    this.extra = { why: 'custom field' }
  }
}

test('signInUpPOST override calls original and branches on status / createdNewRecipeUser', async () => {
  const seen = []
  await withAuth(
    {
      accountLinking: ALV,
      override: {
        apis: (original) => ({
          ...original,
          signInUpPOST: async (input) => {
            assert.equal(typeof input.userContext, 'object')
            input.userContext.seenByOverride = true
            const response = await original.signInUpPOST(input)
            if (response.status === 'OK') {
              seen.push(response.createdNewRecipeUser ? 'sign-up' : 'sign-in')
              return response
            }
            if (response.status === 'SIGN_IN_UP_NOT_ALLOWED') {
              seen.push('not-allowed')
              return { status: 'SIGN_IN_UP_NOT_ALLOWED', reason: `custom: ${response.reason}` }
            }
            seen.push(response.status)
            return response
          },
        }),
      },
    },
    async (auth) => {
      const userContext = { requestId: 'r1' }
      const google = { tenantId: 'public', thirdPartyId: 'google', userInfo: { thirdPartyUserId: 'g1', email: { id: 'a@example.com', isVerified: true } } }
      const first = await auth.signInUpPOST({ ...google, userContext })
      assert.equal(first.status, 'OK')
      assert.equal(first.createdNewRecipeUser, true)
      assert.equal(first.user.isPrimaryUser, true, 'ALV made the verified sign-up primary')
      assert.equal(typeof first.accessToken, 'string')
      assert.equal(userContext.seenByOverride, true, 'the override saw the caller\'s userContext object')

      const again = await auth.signInUpPOST(google)
      assert.equal(again.status, 'OK')
      assert.equal(again.createdNewRecipeUser, false)
      assert.equal(again.user.id, first.user.id)

      // Same email, unverified, other provider: sign-up is refused (account takeover risk) and the override
      // rewrote the reason.
      const github = { tenantId: 'public', thirdPartyId: 'github', userInfo: { thirdPartyUserId: 'h1', email: { id: 'a@example.com', isVerified: false } } }
      const refused = await auth.signInUpPOST(github)
      assert.equal(refused.status, 'SIGN_IN_UP_NOT_ALLOWED')
      assert.match(refused.reason, /^custom: /)

      const noEmail = await auth.signInUpPOST({ thirdPartyId: 'github', userInfo: { thirdPartyUserId: 'h2' } })
      assert.deepEqual(noEmail, { status: 'NO_EMAIL_GIVEN_BY_PROVIDER' })
      assert.deepEqual(seen, ['sign-up', 'sign-in', 'not-allowed', 'NO_EMAIL_GIVEN_BY_PROVIDER'])
    },
  )
})

test('createPrimaryUser override is what manuallyCreateOrUpdateUser uses (final object)', async () => {
  const calls = []
  let veto = false
  await withAuth(
    {
      accountLinking: ALV,
      override: {
        functions: (original) => ({
          ...original,
          createPrimaryUser: async (input) => {
            calls.push({ recipeUserId: input.recipeUserId, tag: input.userContext.tag })
            if (veto) {
              return {
                status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR',
                primaryUserId: 'vetoed',
                description: 'vetoed by the override',
              }
            }
            return original.createPrimaryUser(input)
          },
        }),
      },
    },
    async (auth) => {
      const r = await auth.manuallyCreateOrUpdateUser({ ...tp('google', 'g1', 'a@example.com', true), userContext: { tag: 't1' } })
      assert.equal(r.status, 'OK')
      assert.equal(r.createdNewRecipeUser, true)
      assert.deepEqual(r.linking, { outcome: 'BECAME_PRIMARY', reason: 'NO_PRIMARY_USER_WITH_SAME_ACCOUNT_INFO', primaryUserId: r.user.id })
      assert.deepEqual(calls, [{ recipeUserId: r.recipeUserId, tag: 't1' }])

      // The override now refuses: the policy layer cannot make the next verified user primary.
      veto = true
      const v = await auth.manuallyCreateOrUpdateUser(tp('google', 'g2', 'b@example.com', true))
      assert.equal(v.status, 'OK')
      assert.equal(v.user.isPrimaryUser, false)
      assert.deepEqual(v.linking, { outcome: 'NOT_LINKED', reason: 'ACCOUNT_INFO_CONFLICT' })
      assert.ok(calls.length > 1)
      assert.ok(calls.slice(1).every((c) => c.recipeUserId === v.recipeUserId))

      // A direct call goes through the override too.
      const direct = await auth.createPrimaryUser({ recipeUserId: v.recipeUserId })
      assert.equal(direct.status, 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR')
      assert.equal(direct.primaryUserId, 'vetoed')
    },
  )
})

test('spreading original keeps every other method, and original does not recurse into the override', async () => {
  let signInUpCalls = 0
  await withAuth(
    {
      override: {
        functions: (original) => {
          assert.equal(typeof original.getUser, 'function')
          assert.equal(typeof original.listAllTenants, 'function')
          return {
            ...original,
            signInUp: async (input) => {
              signInUpCalls += 1
              const r = await original.signInUp(input)
              const again = await original.getUser({ userId: r.recipeUserId, userContext: input.userContext })
              assert.equal(again.id, r.user.id)
              return r
            },
          }
        },
      },
    },
    async (auth) => {
      const r = await auth.signInUp(tp('google', 'g1', 'a@example.com', false))
      assert.equal(r.status, 'OK')
      assert.equal(signInUpCalls, 1)
      assert.equal((await auth.getUser({ userId: r.user.id })).id, r.user.id)
      assert.equal(await auth.getUser({ userId: 'nobody' }), null)
      assert.deepEqual((await auth.listAllTenants()).map((t) => t.tenantId), ['public'])
    },
  )
})

test('a JS error thrown in an override reaches the caller as the same object', async () => {
  let thrown
  let mode = 'sync'
  await withAuth(
    {
      accountLinking: ALV,
      override: {
        functions: (original) => ({
          ...original,
          // Not async: a synchronous throw must not crash the process either.
          createPrimaryUser(input) {
            thrown = mode === 'string' ? 'a plain string' : new CustomError(`refused ${input.recipeUserId}`)
            if (mode === 'reject') return Promise.reject(thrown)
            throw thrown
          },
        }),
        apis: (original) => ({
          ...original,
          signInUpPOST: async (input) => original.signInUpPOST(input),
        }),
      },
    },
    async (auth) => {
      const r = await auth.signInUp(tp('google', 'g1', 'a@example.com', true))

      // Direct call, synchronous throw.
      const e1 = await auth.createPrimaryUser({ recipeUserId: r.recipeUserId }).catch((e) => e)
      assert.ok(e1 === thrown, 'same object')
      assert.ok(e1 instanceof CustomError)
      assert.deepEqual(e1.extra, { why: 'custom field' })

      // Rejected promise, reached through the core's policy layer (manuallyCreateOrUpdateUser -> createPrimaryUser).
      mode = 'reject'
      const e2 = await auth.manuallyCreateOrUpdateUser(tp('google', 'g2', 'b@example.com', true)).catch((e) => e)
      assert.ok(e2 === thrown)
      assert.ok(e2 instanceof CustomError)

      // Through an API override that awaits original (the error crosses Rust -> JS -> Rust -> JS).
      const e3 = await auth
        .signInUpPOST({ thirdPartyId: 'google', userInfo: { thirdPartyUserId: 'g3', email: { id: 'c@example.com', isVerified: true } } })
        .catch((e) => e)
      assert.ok(e3 === thrown)
      assert.ok(e3 instanceof CustomError)

      // Not even an Error.
      mode = 'string'
      const e4 = await auth.createPrimaryUser({ recipeUserId: r.recipeUserId }).catch((e) => e)
      assert.equal(e4, 'a plain string')

      // Core errors are AuthErrors with the stable code.
      const e5 = await auth.getUser({ userId: '' }).catch((e) => e)
      assert.ok(e5 instanceof AuthError)
      assert.ok(e5 instanceof Error)
      assert.equal(e5.code, 'EMPTY_FIELD')
      assert.equal(e5.details.field, 'userId')
      const e6 = await auth.signInUp(tp('google', 'g1', 'a@example.com', true)).then(() => null, (e) => e)
      assert.equal(e6, null)
      const e7 = await auth.signInUp({ ...tp('google', 'g1', 'a@example.com', true), tenantId: 'nope' }).catch((e) => e)
      assert.ok(e7 instanceof AuthError)
      assert.equal(e7.code, 'TENANT_NOT_FOUND')
    },
  )
})

test('shouldDoAutomaticAccountLinking as a JS callback decides linking', async () => {
  const asked = []
  const userContext = { requestId: 'req-7' }
  await withAuth(
    {
      accountLinking: {
        shouldDoAutomaticAccountLinking: async (newAccountInfo, user, session, tenantId, ctx) => {
          asked.push({ email: newAccountInfo.email, tenantId, sameContext: ctx === userContext, hasUser: user !== undefined })
          await new Promise((r) => setImmediate(r))
          if (newAccountInfo.email.endsWith('@trusted.example')) {
            return { shouldAutomaticallyLink: true, shouldRequireVerification: false }
          }
          return { shouldAutomaticallyLink: false }
        },
      },
    },
    async (auth) => {
      const a = await auth.manuallyCreateOrUpdateUser({ ...tp('google', 'g1', 'x@trusted.example', false), userContext })
      assert.deepEqual(a.linking, { outcome: 'BECAME_PRIMARY', reason: 'VERIFICATION_NOT_REQUIRED', primaryUserId: a.user.id })
      const b = await auth.manuallyCreateOrUpdateUser({ ...tp('github', 'h1', 'x@trusted.example', false), userContext })
      assert.deepEqual(b.linking, { outcome: 'LINKED', reason: 'VERIFICATION_NOT_REQUIRED', primaryUserId: a.user.id })
      assert.equal(b.user.id, a.user.id)
      assert.equal(b.user.loginMethods.length, 2)

      const c = await auth.manuallyCreateOrUpdateUser({ ...tp('google', 'g2', 'y@other.example', true), userContext })
      assert.deepEqual(c.linking, { outcome: 'NOT_LINKED', reason: 'AUTOMATIC_LINKING_DISABLED' })
      const d = await auth.manuallyCreateOrUpdateUser({ ...tp('github', 'h2', 'y@other.example', true), userContext })
      assert.notEqual(d.user.id, c.user.id)

      assert.ok(asked.length >= 4)
      assert.ok(asked.every((q) => q.tenantId === 'public' && q.sameContext))
      assert.ok(asked.some((q) => q.hasUser), 'the primary user is passed when linking into it')

      // The decision is also reachable as a recipe function.
      const direct = await auth.shouldDoAutomaticAccountLinking({
        newAccountInfo: { recipeId: 'thirdparty', email: 'z@trusted.example' },
        tenantId: 'public',
      })
      assert.deepEqual(direct, { shouldAutomaticallyLink: true, shouldRequireVerification: false })
    },
  )
})

test('getRedirectionURL override decides where to go; its answer is still validated', async () => {
  const asked = []
  await withAuth(
    {
      redirect: { allowedOrigins: ['https://app.example.com'], defaultPath: '/home' },
      override: {
        apis: (original) => ({
          ...original,
          getRedirectionURL: async (input) => {
            asked.push({ action: input.action, isNewUser: input.isNewUser, tag: input.userContext.tag })
            if (input.redirectToPath === '/evil') return 'https://evil.example.com/'
            return input.isNewUser ? '/welcome' : original.getRedirectionURL(input)
          },
        }),
      },
    },
    async (auth) => {
      const post = (uid, redirectToPath) => ({
        thirdPartyId: 'google',
        userInfo: { thirdPartyUserId: uid, email: { id: `${uid}@example.com`, isVerified: true } },
        redirectToPath,
        userContext: { tag: uid },
      })
      const first = await auth.signInUpPOST(post('g1', '/dashboard'))
      assert.equal(first.status, 'OK')
      assert.equal(first.redirect.url, '/welcome')
      assert.equal(first.redirect.fellBack, false)
      const again = await auth.signInUpPOST(post('g1', '/dashboard'))
      assert.equal(again.redirect.url, '/dashboard')
      const evil = await auth.signInUpPOST(post('g1', '/evil'))
      assert.equal(evil.redirect.url, '/home')
      assert.equal(evil.redirect.fellBack, true)
      assert.deepEqual(asked, [
        { action: 'SUCCESS', isNewUser: true, tag: 'g1' },
        { action: 'SUCCESS', isNewUser: false, tag: 'g1' },
        { action: 'SUCCESS', isNewUser: false, tag: 'g1' },
      ])
      // An existing session never short-circuits a sign-in (login CSRF): a new session for the identity.
      const existing = await auth.signInUpPOST({ ...post('g1'), existingAccessToken: first.accessToken })
      assert.equal(existing.status, 'OK')
      assert.notEqual(existing.accessToken, first.accessToken)
      assert.equal(asked.at(-1).action, 'SUCCESS')
    },
  )
})

test('options are validated', async () => {
  const db = tempDb()
  try {
    await assert.rejects(AuthCore.open({}), (e) => e instanceof AuthError && e.code === 'INVALID_INPUT')
    await assert.rejects(
      AuthCore.open({ database: { sqlite: db.sqlite }, accountLinking: { shouldAutomaticallyLink: 'yes' } }),
      (e) => e instanceof AuthError && e.code === 'INVALID_INPUT',
    )
    await assert.rejects(
      AuthCore.open({ database: { sqlite: db.sqlite }, accountLinking: { ...ALV, shouldDoAutomaticAccountLinking: async () => ALV } }),
      (e) => e instanceof AuthError && e.code === 'INVALID_INPUT',
    )
    await assert.rejects(
      AuthCore.open({ database: { sqlite: db.sqlite }, providers: [{ thirdPartyId: 'google' }, { thirdPartyId: 'google' }] }),
      (e) => e instanceof AuthError && e.code === 'DUPLICATE_PROVIDER',
    )
    const auth = await AuthCore.open({ database: { sqlite: db.sqlite } })
    await assert.rejects(auth.signInUp('nope'), (e) => e instanceof AuthError && e.code === 'INVALID_INPUT')
    await assert.rejects(auth.signInUp({ thirdPartyId: 'google' }), (e) => e instanceof AuthError && e.code === 'INVALID_INPUT')
    await auth.shutdown()
    await assert.rejects(auth.getUser({ userId: 'x' }), (e) => e instanceof AuthError && e.code === 'SHUT_DOWN')
    await assert.rejects(auth.listEvents(), (e) => e instanceof AuthError && e.code === 'SHUT_DOWN')
    await assert.rejects(auth.deliverPendingEvents(), (e) => e instanceof AuthError && e.code === 'SHUT_DOWN')
    await auth.shutdown() // a second shutdown does nothing
  } finally {
    fs.rmSync(db.dir, { recursive: true, force: true })
  }
})

test('an override that replaces only createPrimaryUser makes no host crossing on getUser', async () => {
  // Every crossing into the layer reads the replacement's method off the object the override returned; a Proxy
  // counts those reads. The layer is built (and its methods compared with original's) before counting starts.
  const reads = []
  let counting = false
  let primaries = 0
  await withAuth(
    {
      override: {
        functions: (original) =>
          new Proxy(
            { ...original, createPrimaryUser: async (input) => { primaries += 1; return original.createPrimaryUser(input) } },
            { get: (target, key, receiver) => { if (counting && typeof key === 'string') reads.push(key); return Reflect.get(target, key, receiver) } },
          ),
      },
    },
    async (auth) => {
      const r = await auth.signInUp(tp('google', 'g1', 'a@x.com', true))
      counting = true
      for (let i = 0; i < 100; i++) {
        const user = await auth.getUser({ userId: r.user.id })
        assert.equal(user.id, r.user.id)
      }
      assert.deepEqual(reads, [], 'getUser never crossed into the JS layer')
      await auth.createPrimaryUser({ recipeUserId: r.recipeUserId })
      assert.deepEqual(reads, ['createPrimaryUser'], 'the replaced method does cross (the counter can count)')
      assert.equal(primaries, 1)
    },
  )
})
