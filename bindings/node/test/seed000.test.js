'use strict'
// Seed 000 §3 (SuperTokens' post sign-in/up callbacks, ../shared/seeds/): the backend override of signInUpPOST,
// written exactly as the seed shows it, runs against a real OpenID Provider (tests/oidc/op.mjs) through the
// whole code flow: it sees `response.user.{id, email}`, `response.authCodeResponse` (the provider's token
// response) and `response.createdNewUser`.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { test } = require('node:test')

const { AuthCore } = require('..')

const PEERS = path.join(__dirname, '..', '..', '..', 'tests', 'oidc', 'peer.mjs')
const REDIRECT = 'http://127.0.0.1:9/callback'

test('seed 000 §3: the signInUpPOST override as the seed writes it, against the real OP', async () => {
  const { startOp, drive } = await import(pathToFileURL(PEERS).href)
  const op = await startOp()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-seed000-'))
  const seen = []
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'auth.db') },
    providers: [{ thirdPartyId: 'oidc', oidcDiscoveryEndpoint: op.base,
      clients: [{ clientId: 'web', clientSecret: 'web-secret', scope: ['openid', 'email'] }] }],
    // Seed 000 §3, verbatim but for the TODOs, which record what the seed's code reads.
    override: {
      apis: (originalImplementation) => {
        return {
          ...originalImplementation,
          signInUpPOST: async (input) => {
            let response = await originalImplementation.signInUpPOST(input);
            if (response.status === "OK") {
              let { id, email } = response.user;

              // thirdPartyAuthCodeResponse is the response from the provider POST /token API.
              let thirdPartyAuthCodeResponse = response.authCodeResponse;

              if (response.createdNewUser) {
                seen.push({ kind: 'sign-up', id, email, thirdPartyAuthCodeResponse })
              } else {
                seen.push({ kind: 'sign-in', id, email, thirdPartyAuthCodeResponse })
              }
            }
            return response;
          }
        }
      }
    },
  })
  try {
    const signIn = async () => {
      const url = await auth.getAuthorisationURL({ thirdPartyId: 'oidc', redirectURIOnProviderDashboard: REDIRECT })
      const back = await drive(op.base, url.urlWithQueryParams, 'seed')
      assert.equal(back.state, url.state)
      return auth.signInUpPOST({ thirdPartyId: 'oidc', redirectURIInfo: {
        redirectURIOnProviderDashboard: REDIRECT,
        redirectURIQueryParams: { code: back.code, state: back.state, iss: back.iss },
        pkceCodeVerifier: url.pkceCodeVerifier,
      } })
    }
    const first = await signIn()
    const second = await signIn()
    assert.equal(first.status, 'OK')
    assert.equal(second.user.id, first.user.id)
    assert.deepEqual(seen.map((s) => s.kind), ['sign-up', 'sign-in'])
    assert.equal(seen[0].id, first.user.id)
    assert.equal(typeof seen[0].thirdPartyAuthCodeResponse.id_token, 'string')
    assert.equal(typeof seen[0].thirdPartyAuthCodeResponse.access_token, 'string')
    assert.deepEqual(seen[1].thirdPartyAuthCodeResponse, second.oAuthTokens)
    // Today's user shape has `emails`; the seed's `user.email` reads as undefined, as in supertokens-node 16+.
    assert.equal(seen[0].email, undefined)
    assert.deepEqual(first.user.emails, ['seed@example.test'])
  } finally {
    await auth.shutdown()
    await op.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
