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
//
// Usage: node bench/node-vs-rust.js [--n N] [--calls N] [--check]
//   --n: sign-ups (and sign-ins) per side, default 20000; --calls: trivial calls per side, default 100000;
//   --check: exit 1 when a target is missed.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { AuthCore } = require('..')
const native = require('../native.js')

const CHUNK = 500
const OVERHEAD_TARGET_NS = 2000
const RATIO_TARGET = 0.5

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
