'use strict'
// Every tests/scenarios/*.json file again on PostgreSQL (`database: { postgres, schema }`), each in a new schema
// of its own, switched on by AUTHCORE_TEST_POSTGRES (`scripts/test` starts a throwaway server and exports it).
// Unset: skipped with a line saying so, except under CI (`CI` set), where PostgreSQL must be tested: a failure.

const path = require('node:path')
const { after, test } = require('node:test')

const { freshSchema, postgresUrl, runScenario, scenarioFiles, stopPeers } = require('../test-support/runner')

after(stopPeers)

const url = postgresUrl()
if (url === undefined) {
  if (process.env.CI) {
    test('scenarios (postgres)', () => {
      throw new Error(
        'AUTHCORE_TEST_POSTGRES is not set under CI: the scenarios must run on PostgreSQL ' +
          '(scripts/pg-test-server starts a throwaway server and prints its URL)',
      )
    })
  } else {
    test('scenarios (postgres)', { skip: 'AUTHCORE_TEST_POSTGRES is not set (scripts/pg-test-server prints a server URL)' }, () => {})
  }
} else {
  let passed = 0
  let failed = 0
  after(() => {
    console.log(`scenarios (postgres): ${passed} passed, ${failed} failed`)
  })
  for (const file of scenarioFiles()) {
    test(`${path.basename(file)} (postgres)`, async () => {
      try {
        await runScenario(file, { postgres: url, schema: freshSchema() })
        passed += 1
      } catch (e) {
        failed += 1
        throw e
      }
    })
  }
}
