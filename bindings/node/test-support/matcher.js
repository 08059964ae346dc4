'use strict'
// JS port of core/tests/common/matcher.rs (same semantics): `$capture`, `$ref`, `$any`, `$absent`, `$set`,
// `$len`, `$ne`, `$notIn`, `$startsWith`, `$gt`, `$gte`, `$keys`. A failure throws an Error describing it.

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const show = (v) => (v === undefined ? '<missing>' : JSON.stringify(v))

/** Replace `{"$ref": name}` anywhere in `v` by the captured value. */
function resolve(v, caps) {
  if (isObject(v)) {
    const keys = Object.keys(v)
    if (keys.length === 1 && keys[0] === '$ref') {
      if (typeof v.$ref !== 'string') throw new Error('$ref needs a string')
      if (!caps.has(v.$ref)) throw new Error(`nothing captured as '${v.$ref}'`)
      return caps.get(v.$ref)
    }
    const out = {}
    for (const k of keys) out[k] = resolve(v[k], caps)
    return out
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, caps))
  return v
}

/** JSON value equality (key order ignored); numbers compare as numbers. */
function eq(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => eq(x, b[i]))
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]))
  }
  return a === b
}

/** Match `actual` (undefined = key missing) against `expected` at `path`; updates `caps` (a Map). */
function matches(expected, actual, caps, path) {
  const present = actual === undefined || actual === null ? undefined : actual
  if (isObject(expected)) {
    const keys = Object.keys(expected)
    if (keys.length === 1) {
      const k = keys[0]
      const arg = expected[k]
      switch (k) {
        case '$capture': {
          if (typeof arg !== 'string') throw new Error('$capture needs a string')
          if (present === undefined) throw new Error(`${path}: expected a value to capture as '${arg}'`)
          if (caps.has(arg)) {
            if (!eq(caps.get(arg), present)) throw new Error(`${path}: '${arg}' was ${show(caps.get(arg))}, now ${show(present)}`)
          } else {
            caps.set(arg, present)
          }
          return
        }
        case '$ref': {
          const want = resolve(expected, caps)
          if (actual !== undefined && eq(want, actual)) return
          throw new Error(`${path}: expected ${show(want)} (ref), got ${show(actual)}`)
        }
        case '$any':
          if (present !== undefined) return
          throw new Error(`${path}: expected a value, got ${show(actual)}`)
        case '$absent':
          if (present === undefined) return
          throw new Error(`${path}: expected absent, got ${show(present)}`)
        case '$len': {
          if (typeof arg !== 'number') throw new Error('$len needs a number')
          let len
          if (Array.isArray(present)) len = present.length
          else if (typeof present === 'string') len = [...present].length
          else throw new Error(`${path}: expected array of length ${arg}, got ${show(actual)}`)
          if (len === arg) return
          throw new Error(`${path}: expected length ${arg}, got ${len}`)
        }
        case '$set': {
          if (!Array.isArray(arg)) throw new Error('$set needs an array')
          if (!Array.isArray(present)) throw new Error(`${path}: expected array, got ${show(actual)}`)
          if (arg.length !== present.length) {
            throw new Error(`${path}: expected ${arg.length} elements (any order), got ${present.length}: ${show(present)}`)
          }
          const used = present.map(() => false)
          arg.forEach((w, i) => {
            const j = present.findIndex((g, j) => {
              if (used[j]) return false
              const trial = new Map(caps)
              try {
                matches(w, g, trial, `${path}[${j}]`)
              } catch {
                return false
              }
              for (const [name, value] of trial) caps.set(name, value)
              return true
            })
            if (j < 0) throw new Error(`${path}: no element matches expected[${i}] = ${show(w)} in ${show(present)}`)
            used[j] = true
          })
          return
        }
        case '$ne': {
          let matched = true
          try {
            matches(arg, actual, new Map(caps), path)
          } catch {
            matched = false
          }
          if (!matched) return
          throw new Error(`${path}: expected not ${show(arg)}, got ${show(actual)}`)
        }
        case '$notIn': {
          if (!Array.isArray(arg)) throw new Error('$notIn needs an array')
          for (const m of arg) {
            let matched = true
            try {
              matches(m, actual, new Map(caps), path)
            } catch {
              matched = false
            }
            if (matched) throw new Error(`${path}: ${show(actual)} matches excluded ${show(m)}`)
          }
          return
        }
        case '$startsWith': {
          if (typeof arg !== 'string') throw new Error('$startsWith needs a string')
          if (typeof present === 'string' && present.startsWith(arg)) return
          throw new Error(`${path}: expected a string starting with ${JSON.stringify(arg)}, got ${show(actual)}`)
        }
        case '$gt':
        case '$gte': {
          const bound = resolve(arg, caps)
          if (typeof bound !== 'number') throw new Error('bound is not a number')
          if (typeof present !== 'number') throw new Error(`${path}: expected a number, got ${show(actual)}`)
          if (k === '$gt' ? present > bound : present >= bound) return
          throw new Error(`${path}: ${present} is not ${k} ${bound}`)
        }
        default:
          break
      }
    }
    if (!isObject(actual)) throw new Error(`${path}: expected object, got ${show(actual)}`)
    if (Object.hasOwn(expected, '$keys')) {
      if (!Array.isArray(expected.$keys)) throw new Error('$keys needs an array')
      const want = expected.$keys.filter((k) => typeof k === 'string').sort()
      const have = Object.keys(actual).sort()
      if (!eq(want, have)) throw new Error(`${path}: expected keys ${show(want)}, got ${show(have)}`)
    }
    for (const k of keys) {
      if (k !== '$keys') matches(expected[k], actual[k], caps, `${path}.${k}`)
    }
    return
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) throw new Error(`${path}: expected array, got ${show(actual)}`)
    if (expected.length !== actual.length) {
      throw new Error(`${path}: expected ${expected.length} elements, got ${actual.length}: ${show(actual)}`)
    }
    expected.forEach((w, i) => matches(w, actual[i], caps, `${path}[${i}]`))
    return
  }
  if (actual !== undefined && eq(expected, actual)) return
  if (actual === undefined && expected === null) return
  throw new Error(`${path}: expected ${show(expected)}, got ${show(actual)}`)
}

module.exports = { resolve, matches, eq }
