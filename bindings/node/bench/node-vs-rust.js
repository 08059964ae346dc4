'use strict'
// The Node binding benchmark (run by scripts/bench-node; a benchmark, not a test): the same workloads through
// the public Node API and directly on the core in Rust, in this one process and run, in alternating chunks so
// that machine noise lands on both sides.
//
// * trivial call: `getUser` of an unknown user id, awaited one at a time. Node: `await auth.getUser({userId})`
//   (the full public path: argument checks, userContext, native call, result conversion, Promise). Rust: the
//   core's `get_user` on the final functions object, awaited on a current-thread tokio runtime. Overhead =
//   Node ns/call - Rust ns/call; target <= 2 us.
// * signUp / signIn: N new third-party identities (google, uid-i, user-i@example.com, unverified) through
//   `signInUp`, then the same N again (each must answer createdNewUser=false). Sequential awaits on both sides.
//   Both engines have ONE async event handler for every event: `events: {'*': async () => {}}` in Node, a no-op
//   async `EventHandler` in Rust; sign-ups emit `createUser`, which each handler receives. Ratio = Node ops/s /
//   Rust ops/s; target >= 0.5.
// * api-signup / api-signin / api-autolink (issue #13, "the benchmark applications care about"): `signInUpPOST`
//   through Node (each creates a session; one async JS event handler for every event, as an application's
//   audit hook would be) against the raw-rusqlite baseline doing the minimal SQL for the same work in one
//   transaction (user, account and session rows, same pragmas: the shared `authcore-bench-baseline` crate that
//   `scripts/bench` uses, run in Rust in this process through the bench-only native aid). Sign-up: N new
//   unverified identities; sign-in: the same N again; auto-linked sign-up: N verified identities whose email
//   belongs to a verified github primary set up beforehand (untimed), on an engine with automatic linking
//   (verification required). After each loop the two files must hold the same row counts, and the counts
//   expected (users, sessions). Ratio = Node ops/s / baseline ops/s; target >= 0.6.
// * RSS: a fresh engine, N sign-ups through `signInUpPOST` (one async handler); RSS after the loop minus RSS
//   right before it (both after a GC when node runs with --expose-gc, as scripts/bench-node does);
//   target <= 20 MiB.
//
// Usage: node [--expose-gc] bench/node-vs-rust.js [--n N] [--calls N] [--check]
//   --n: sign-ups (and sign-ins) per side and per row, default 20000; --calls: trivial calls per side, default
//   100000; --check: exit 1 when a target is missed.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { AuthCore } = require('..')
const native = require('../native.js')

const CHUNK = 500
const OVERHEAD_TARGET_NS = 2000
const RATIO_TARGET = 0.5
const API_TARGET = 0.6
const RSS_TARGET_MIB = 20

function parseArgs(argv) {
  const args = { n: 20000, calls: 100000, check: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = (name) => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
      const n = Number(v)
      if (!Number.isInteger(n) || n <= 0) usage(`${name} takes a positive integer`)
      return n
    }
    if (a === '--n' || a.startsWith('--n=')) args.n = value('--n')
    else if (a === '--calls' || a.startsWith('--calls=')) args.calls = value('--calls')
    else if (a === '--check') args.check = true
    else usage(`unknown argument '${a}'`)
  }
  return args
}

function usage(message) {
  console.error(`${message}\nusage: scripts/bench-node [--n N] [--calls N] [--check] [--no-build]`)
  process.exit(2)
}

function identity(i) {
  return {
    tenantId: 'public',
    thirdPartyId: 'google',
    thirdPartyUserId: `uid-${i}`,
    email: { id: `user-${i}@example.com`, isVerified: false },
  }
}

async function nodeChunk(auth, op, from, to) {
  if (op === 'getUser') {
    const input = { userId: 'no-such-user' }
    const start = process.hrtime.bigint()
    for (let i = from; i < to; i++) {
      if ((await auth.getUser(input)) !== null) throw new Error('getUser: unexpected user')
    }
    return Number(process.hrtime.bigint() - start)
  }
  const inputs = []
  for (let i = from; i < to; i++) inputs.push(identity(i))
  const expectNew = op === 'signUp'
  let wrong = 0
  const start = process.hrtime.bigint()
  for (const input of inputs) {
    const r = await auth.signInUp(input)
    if (r.status !== 'OK' || r.createdNewUser !== expectNew) wrong++
  }
  const elapsed = Number(process.hrtime.bigint() - start)
  if (wrong > 0) throw new Error(`${op}: ${wrong} unexpected results`)
  return elapsed
}

/** Runs `total` ops of `op` on both sides in alternating chunks; returns [nodeNs, rustNs]. */
async function row(auth, direct, op, total) {
  let nodeNs = 0
  let rustNs = 0
  for (let from = 0, k = 0; from < total; from += CHUNK, k++) {
    const to = Math.min(total, from + CHUNK)
    // Alternate which side goes first, so neither always runs right after the other's writes.
    if (k % 2 === 0) {
      nodeNs += await nodeChunk(auth, op, from, to)
      rustNs += native.__benchDirectRun(direct, op, from, to)
    } else {
      rustNs += native.__benchDirectRun(direct, op, from, to)
      nodeNs += await nodeChunk(auth, op, from, to)
    }
  }
  return [nodeNs, rustNs]
}

/** Operation `i` of a signInUpPOST row: the identities of `ApiRow::identity` in core/benches/baseline. */
function postInput(row, i) {
  const autolink = row === 'api-autolink'
  return {
    tenantId: 'public',
    thirdPartyId: 'google',
    userInfo: {
      thirdPartyUserId: `${autolink ? 'apigo' : 'api'}-${i}`,
      email: { id: `user-${i}@example.com`, isVerified: autolink },
    },
  }
}

async function apiChunk(auth, row, from, to) {
  const inputs = []
  for (let i = from; i < to; i++) inputs.push(postInput(row, i))
  const expectNew = row !== 'api-signin'
  let wrong = 0
  const start = process.hrtime.bigint()
  for (const input of inputs) {
    const r = await auth.signInUpPOST(input)
    if (r.status !== 'OK' || r.createdNewRecipeUser !== expectNew || !r.accessToken) wrong++
  }
  const elapsed = Number(process.hrtime.bigint() - start)
  if (wrong > 0) throw new Error(`${row}: ${wrong} unexpected results`)
  return elapsed
}

/** Runs `total` ops of `row` through Node and on the baseline in alternating chunks; returns [nodeNs, baseNs]. */
async function apiRow(auth, base, row, total) {
  let nodeNs = 0
  let baseNs = 0
  for (let from = 0, k = 0; from < total; from += CHUNK, k++) {
    const to = Math.min(total, from + CHUNK)
    if (k % 2 === 0) {
      nodeNs += await apiChunk(auth, row, from, to)
      baseNs += native.__benchBaselineRun(base, row, from, to)
    } else {
      baseNs += native.__benchBaselineRun(base, row, from, to)
      nodeNs += await apiChunk(auth, row, from, to)
    }
  }
  return [nodeNs, baseNs]
}

/** Same row counts in both files (else throws), and the users and sessions this row must have left. */
function checkCounts(row, enginePath, basePath, users, sessions) {
  const counts = native.__benchSameWork(enginePath, basePath)
  if (counts.recipe_users !== users || counts.sessions !== sessions) {
    throw new Error(`${row}: ${counts.recipe_users} users and ${counts.sessions} sessions, expected ${users} and ${sessions}`)
  }
  return counts
}

function mib(bytes) {
  return bytes / (1024 * 1024)
}

function settledRss() {
  if (global.gc) global.gc()
  return process.memoryUsage().rss
}

/** The signInUpPOST rows against the baseline; returns whether every target was met. */
async function apiRows(args, dir) {
  const n = args.n
  let events = 0
  const handler = { '*': async () => { events++ } }
  let ok = true
  console.log('\nsignInUpPOST with one async event handler, against the raw-rusqlite baseline (same process, ' +
    `interleaved chunks of ${CHUNK})`)
  console.log(`  ${'row'.padEnd(14)}${'node ops/s'.padStart(12)}${'baseline ops/s'.padStart(16)}${'ratio'.padStart(8)}` +
    `${'target'.padStart(9)}  result  rows after the loop`)
  const report = (row, nodeNs, baseNs, counts) => {
    const nodeOps = n / (nodeNs / 1e9)
    const baseOps = n / (baseNs / 1e9)
    const ratio = nodeOps / baseOps
    const pass = ratio >= API_TARGET
    ok &&= pass
    console.log(`  ${row.padEnd(14)}${fmt(nodeOps).padStart(12)}${fmt(baseOps).padStart(16)}${(fmt(ratio, 2) + 'x').padStart(8)}` +
      `${('>= ' + API_TARGET + 'x').padStart(9)}  ${pass ? 'PASS' : 'FAIL'}    users ${counts.recipe_users}, ` +
      `sessions ${counts.sessions} (same in both files)`)
  }

  // Sign-up, then sign-in of the same identities, on one engine with default settings.
  const enginePath = path.join(dir, 'api-node.db')
  const basePath = path.join(dir, 'api-baseline.db')
  const auth = await AuthCore.open({ database: { sqlite: enginePath }, events: handler })
  const base = native.__benchBaselineOpen(basePath)
  try {
    for (const [row, users, sessions] of [['api-signup', n, n], ['api-signin', n, 2 * n]]) {
      const before = events
      const [nodeNs, baseNs] = await apiRow(auth, base, row, n)
      if (events - before < n) throw new Error(`${row}: the JS handler saw ${events - before} events for ${n} calls`)
      report(row, nodeNs, baseNs, checkCounts(row, enginePath, basePath, users, sessions))
    }
  } finally {
    await auth.shutdown()
  }

  // Sign-up auto-linked by verified email into N verified github primaries (set up untimed on both sides).
  const linkPath = path.join(dir, 'api-autolink-node.db')
  const linkBasePath = path.join(dir, 'api-autolink-baseline.db')
  const linking = await AuthCore.open({
    database: { sqlite: linkPath },
    accountLinking: { shouldAutomaticallyLink: true, shouldRequireVerification: true },
    events: handler,
  })
  const linkBase = native.__benchBaselineOpen(linkBasePath)
  try {
    for (let i = 0; i < n; i++) {
      const r = await linking.manuallyCreateOrUpdateUser({
        tenantId: 'public',
        thirdPartyId: 'github',
        thirdPartyUserId: `apigh-${i}`,
        email: { id: `user-${i}@example.com`, isVerified: true },
      })
      if (r.status !== 'OK' || r.linking.outcome !== 'BECAME_PRIMARY') {
        throw new Error(`api-autolink setup: primary ${i}: ${JSON.stringify(r.linking ?? r.status)}`)
      }
    }
    native.__benchBaselineSetup(linkBase, n)
    checkCounts('api-autolink setup', linkPath, linkBasePath, n, 0)
    const before = events
    const [nodeNs, baseNs] = await apiRow(linking, linkBase, 'api-autolink', n)
    if (events - before < n) throw new Error(`api-autolink: the JS handler saw ${events - before} events for ${n} calls`)
    const counts = checkCounts('api-autolink', linkPath, linkBasePath, 2 * n, n)
    if (counts.groups !== n) throw new Error(`api-autolink: ${counts.groups} user groups, expected ${n} (every sign-up linked)`)
    report('api-autolink', nodeNs, baseNs, counts)
  } finally {
    await linking.shutdown()
  }
  return ok
}

/** RSS growth over N sign-ups through signInUpPOST on a fresh engine with one async handler. */
async function rssRow(args, dir) {
  const auth = await AuthCore.open({ database: { sqlite: path.join(dir, 'rss.db') }, events: { '*': async () => {} } })
  try {
    const before = settledRss()
    for (let i = 0; i < args.n; i++) {
      const r = await auth.signInUpPOST({
        tenantId: 'public',
        thirdPartyId: 'google',
        userInfo: { thirdPartyUserId: `rss-${i}`, email: { id: `rss-${i}@example.com`, isVerified: false } },
      })
      if (r.status !== 'OK' || !r.createdNewRecipeUser) throw new Error(`rss: sign-up ${i}: ${r.status}`)
    }
    const after = settledRss()
    const growth = mib(after - before)
    const pass = growth <= RSS_TARGET_MIB
    console.log(`\nRSS over ${fmt(args.n)} sign-ups through signInUpPOST (one async handler${global.gc ? ', after a GC' : ', no --expose-gc'}): ` +
      `before ${fmt(mib(before), 1)} MiB, after ${fmt(mib(after), 1)} MiB, growth ${fmt(growth, 1)} MiB   ` +
      `target <= ${RSS_TARGET_MIB} MiB: ${pass ? 'PASS' : 'FAIL'}`)
    return pass
  } finally {
    await auth.shutdown()
  }
}

function fmt(x, digits = 0) {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authcore-bench-node-'))
  let events = 0
  const auth = await AuthCore.open({
    database: { sqlite: path.join(dir, 'node.db') },
    events: { '*': async () => { events++ } },
  })
  const direct = native.__benchDirectOpen(path.join(dir, 'rust.db'))
  let failed = false
  try {
    console.log(`== authcore Node binding vs direct Rust (node ${process.version}, ${os.cpus().length} cpus; ` +
      `signInUp N=${args.n}, trivial calls=${args.calls}, chunks of ${CHUNK}, sequential awaits)`)
    // Warm-up: JIT, statement caches, allocator.
    await row(auth, direct, 'getUser', Math.min(args.calls, 5000))

    const [gNode, gRust] = await row(auth, direct, 'getUser', args.calls)
    const nodeNs = gNode / args.calls
    const rustNs = gRust / args.calls
    const overhead = nodeNs - rustNs
    const overheadOk = overhead <= OVERHEAD_TARGET_NS
    failed ||= !overheadOk
    console.log('\ntrivial call: getUser of an unknown id')
    console.log(`  node ${fmt(nodeNs)} ns/call   rust ${fmt(rustNs)} ns/call   overhead ${fmt(overhead)} ns/call` +
      `   target <= ${fmt(OVERHEAD_TARGET_NS)} ns: ${overheadOk ? 'PASS' : 'FAIL'}`)

    console.log('\nsignInUp with one async event handler (ops/s)')
    console.log('  row       node ops/s    rust ops/s    ratio   target >= 0.5x')
    for (const op of ['signUp', 'signIn']) {
      const before = events
      const [n, r] = await row(auth, direct, op, args.n)
      if (op === 'signUp' && events - before !== args.n) {
        throw new Error(`the JS handler saw ${events - before} events for ${args.n} sign-ups`)
      }
      const nodeOps = args.n / (n / 1e9)
      const rustOps = args.n / (r / 1e9)
      const ratio = nodeOps / rustOps
      const ok = ratio >= RATIO_TARGET
      failed ||= !ok
      console.log(`  ${op.padEnd(8)} ${fmt(nodeOps).padStart(11)}   ${fmt(rustOps).padStart(11)}   ` +
        `${fmt(ratio, 2).padStart(5)}x   ${ok ? 'PASS' : 'FAIL'}`)
    }

    if (!(await apiRows(args, dir))) failed = true
    if (!(await rssRow(args, dir))) failed = true
  } finally {
    await auth.shutdown()
    native.__benchDirectShutdown(direct)
    fs.rmSync(dir, { recursive: true, force: true })
  }
  if (failed && args.check) process.exit(1)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
