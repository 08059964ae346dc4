// `jose`'s jwtVerify on the same token and key set as the core's id_token benchmark (scripts/bench-idtoken):
// a local JWKS (jose's createLocalJWKSet, i.e. cached keys), issuer and audience checked, N verifications.
// Usage: node bench-jose.mjs <jwks-json> <issuer> <aud> <token> <n>
import { createLocalJWKSet, jwtVerify } from 'jose'

const [jwksText, issuer, audience, token, nText] = process.argv.slice(2)
const n = Number(nText || 10000)
const keys = createLocalJWKSet(JSON.parse(jwksText))
const opts = { issuer, audience, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] }
await jwtVerify(token, keys, opts)
const start = process.hrtime.bigint()
for (let i = 0; i < n; i++) await jwtVerify(token, keys, opts)
const secs = Number(process.hrtime.bigint() - start) / 1e9
console.log(`jose verify: ${Math.round(n / secs)} ops/s (${n} verifications)`)
