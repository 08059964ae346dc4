'use strict'
// The `database` option: checked once, by the core (`DatabaseConfig`); a bad one is a typed INVALID_INPUT for
// field `database` whose message names the mistake. PostgreSQL itself is exercised by scenarios_pg.test.js.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const { AuthCore, AuthError } = require('..')

function refused(message) {
  return (e) => {
    assert.ok(e instanceof AuthError, `not an AuthError: ${e}`)
    assert.equal(e.code, 'INVALID_INPUT')
    assert.equal(e.details.field, 'database')
    assert.match(e.message, message)
    return true
  }
}

test('a bad database option is INVALID_INPUT naming the mistake', async () => {
  await assert.rejects(AuthCore.open({}), refused(/expected \{"sqlite"/))
  await assert.rejects(AuthCore.open({ database: 'auth.db' }), refused(/expected \{"sqlite"/))
  await assert.rejects(AuthCore.open({ database: {} }), refused(/no store given/))
  await assert.rejects(
    AuthCore.open({ database: { sqlite: 'a.db', postgres: 'postgres://127.0.0.1:1/db' } }),
    refused(/not both/),
  )
  await assert.rejects(AuthCore.open({ database: { sqlite: 'a.db', schema: 's' } }), refused(/PostgreSQL option/))
  await assert.rejects(AuthCore.open({ database: { mysql: 'mysql://h/db' } }), refused(/unknown field `mysql`/))
  await assert.rejects(AuthCore.open({ database: { sqlite: 42 } }), refused(/invalid type/))
})

test('an invalid PostgreSQL schema name is INVALID_INPUT before any connection', async () => {
  // The schema is checked before connecting: no server is needed (port 1 would refuse anyway).
  await assert.rejects(
    AuthCore.open({ database: { postgres: 'postgres://127.0.0.1:1/db', schema: 'Bad-Schema' } }),
    (e) => e instanceof AuthError && e.code === 'INVALID_INPUT',
  )
})

test('an unreachable PostgreSQL server is a STORAGE_ERROR, not a hang or a crash', async () => {
  await assert.rejects(
    AuthCore.open({ database: { postgres: 'postgres://authcore@127.0.0.1:1/none?connect_timeout=2' } }),
    (e) => e instanceof AuthError && e.code === 'STORAGE_ERROR',
  )
})

test('the SQLite form still opens a file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-node-db-'))
  try {
    const auth = await AuthCore.open({ database: { sqlite: path.join(dir, 'auth.db') } })
    await auth.shutdown()
    assert.ok(fs.existsSync(path.join(dir, 'auth.db')))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
