'use strict'
// The JS surface matches the native one: every recipe/API function and event the Rust layer knows is listed,
// has a method on AuthCore, and can be overridden.

const assert = require('node:assert/strict')
const { test } = require('node:test')

const native = require('../native.js')
const { AuthCore, RECIPE_FUNCTIONS, API_FUNCTIONS, EVENT_NAMES } = require('..')

test('JS lists match the native ones and AuthCore has a method for each', () => {
  assert.deepEqual([...RECIPE_FUNCTIONS].sort(), native.recipeFunctionNames().sort())
  assert.deepEqual([...API_FUNCTIONS].sort(), native.apiFunctionNames().sort())
  assert.deepEqual([...EVENT_NAMES].sort(), native.eventNames().sort())
  for (const name of [...RECIPE_FUNCTIONS, ...API_FUNCTIONS]) {
    assert.equal(typeof AuthCore.prototype[name], 'function', name)
  }
})
