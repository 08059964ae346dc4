'use strict'
// Replays every tests/scenarios/*.json file through the JS API: one test per scenario file.

const path = require('node:path')
const { test } = require('node:test')

const { runScenario, scenarioFiles } = require('../test-support/runner')

for (const file of scenarioFiles()) {
  test(path.basename(file), async () => {
    await runScenario(file)
  })
}
