'use strict'
// Replays every tests/scenarios/*.json file through the JS API: one test per scenario file.

const path = require('node:path')
const { after, test } = require('node:test')

const { runScenario, scenarioFiles, stopPeers } = require('../test-support/runner')

// The test peers (tests/oidc/) the scenarios with `peers` started, once for this file.
after(stopPeers)

for (const file of scenarioFiles()) {
  test(path.basename(file), async () => {
    await runScenario(file)
  })
}
