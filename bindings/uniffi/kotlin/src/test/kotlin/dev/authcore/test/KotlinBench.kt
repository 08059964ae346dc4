package dev.authcore.test

import dev.authcore.*
import dev.authcore.model.*
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicLong

/**
 * Benchmark (not a test; Surefire excludes it unless asked: scripts/bench-kotlin): the overhead of a trivial call
 * from Kotlin, `getUser` of an unknown id (a suspend call of the `AuthCore` facade, one JNI call), against the
 * same core call made directly in Rust, in the same process. Rounds alternate the two sides; the medians are
 * compared. For context it also prints the same call with a userContext, the generated JNA path
 * (`native.getUser`) and one synchronous JNA call. It also measures `UserContext` get and set (`getString`,
 * `setString`: one JNI call each) against the 5 µs target, with uniffi's JNA versions for context.
 *
 * [signInUpPostRows] (issue #13, "the benchmark applications care about"): `signInUpPost` through the facade
 * (each call creates a session; one suspend event handler for every event, as an application's audit hook would
 * be) against the raw-rusqlite baseline doing the minimal SQL for the same work in one transaction (the shared
 * `authcore-bench-baseline` crate `scripts/bench` uses, run in Rust in this process through [BenchNative]).
 * Rows: api-signup (N new unverified identities), api-signin (the same N again), api-autolink (N verified
 * identities auto-linked by email into verified github primaries set up beforehand, untimed, on an engine with
 * automatic linking requiring verification). Both sides run in alternating chunks of 500, one call awaited after
 * another; after each loop both files must hold the same row counts, and the users and sessions expected.
 * Target: >= 0.5x the baseline on each row.
 */
class KotlinBench {
    @Test
    fun getUserOverhead(): Unit = runBlocking {
        val calls = (System.getProperty("authcore.bench.iterations") ?: "200000").toInt()
        val check = System.getProperty("authcore.bench.check") == "true"
        val targetNs = 5_000.0
        val dir = Files.createTempDirectory("authcore-kt-bench")
        val auth = AuthCore.open(dir.resolve("bench.db").toString(), AuthCoreConfig())
        val id = "no-such-user"
        // For context: the same call on an engine with one pass-through Kotlin override layer (every function
        // then crosses into Kotlin through uniffi's callback path and back to `original` through JNA).
        val layered = AuthCore.open(
            dir.resolve("layered.db").toString(),
            AuthCoreConfig(),
            Hooks(functions = listOf(object : FunctionsOverride {
                override fun apply(original: Functions): Functions = object : Functions by original {}
            })),
        )
        // And with a layer whose getUser answers without calling `original` (one crossing into Kotlin only).
        val answering = AuthCore.open(
            dir.resolve("answering.db").toString(),
            AuthCoreConfig(),
            Hooks(functions = listOf(object : FunctionsOverride {
                override fun apply(original: Functions): Functions = object : Functions by original {
                    override suspend fun getUser(userId: String, userContext: UserContext) = null
                }
            })),
        )
        try {
            // Warm-up: JIT, JNA, SQLite caches.
            repeat(maxOf(calls / 10, 2_000)) { auth.getUser(id) }
            BenchNative.getUserNs(auth.native, id, maxOf(calls / 10, 2_000))

            val rounds = 9
            val chunk = maxOf(calls / rounds, 1)
            val kotlin = ArrayList<Double>()
            val rust = ArrayList<Double>()
            val floor = ArrayList<Double>()
            val withCtx = ArrayList<Double>()
            val jna = ArrayList<Double>()
            val overridden = ArrayList<Double>()
            val answered = ArrayList<Double>()
            val ctx = UserContext()
            val ctxGet = ArrayList<Double>()
            val ctxSet = ArrayList<Double>()
            val ctxJna = ArrayList<Double>()
            ctx.setString("present", "value")
            repeat(maxOf(calls / 10, 2_000)) {
                ctx.getString("present")
                ctx.setString("k", "v")
            }
            repeat(rounds) {
                val t0 = System.nanoTime()
                repeat(chunk) { auth.getUser(id) }
                kotlin.add((System.nanoTime() - t0).toDouble() / chunk)
                rust.add(BenchNative.getUserNs(auth.native, id, chunk))
                // For context: the floor of one synchronous uniffi call with a string in and out (no engine work).
                val t1 = System.nanoTime()
                repeat(chunk / 10) { ctx.uniffiJnaGetString(id) }
                floor.add((System.nanoTime() - t1).toDouble() / (chunk / 10))
                // UserContext get and set, as Kotlin code calls them (the JNI path).
                val tg = System.nanoTime()
                repeat(chunk) { ctx.getString("present") }
                ctxGet.add((System.nanoTime() - tg).toDouble() / chunk)
                val ts = System.nanoTime()
                repeat(chunk) { ctx.setString("k", "v") }
                ctxSet.add((System.nanoTime() - ts).toDouble() / chunk)
                val tj = System.nanoTime()
                repeat(chunk / 10) { ctx.uniffiJnaSetString("k", "v") }
                ctxJna.add((System.nanoTime() - tj).toDouble() / (chunk / 10))
                val t2 = System.nanoTime()
                repeat(chunk) { auth.getUser(id, ctx) }
                withCtx.add((System.nanoTime() - t2).toDouble() / chunk)
                val t3 = System.nanoTime()
                repeat(chunk / 10) { auth.native.getUser(id) }
                jna.add((System.nanoTime() - t3).toDouble() / (chunk / 10))
                val t4 = System.nanoTime()
                repeat(chunk / 10) { layered.getUser(id) }
                overridden.add((System.nanoTime() - t4).toDouble() / (chunk / 10))
                val t5 = System.nanoTime()
                repeat(chunk / 10) { answering.getUser(id) }
                answered.add((System.nanoTime() - t5).toDouble() / (chunk / 10))
            }
            ctx.close()
            check(eventNameString(EventName.SIGN_IN) == "signIn")
            val kt = kotlin.sorted()[rounds / 2]
            val rs = rust.sorted()[rounds / 2]
            val fl = floor.sorted()[rounds / 2]
            val overhead = kt - rs
            val verdict = if (overhead <= targetNs) "PASS" else "FAIL"
            println("== kotlin bench: getUser(unknown id), $rounds rounds x $chunk calls per side")
            println(String.format("kotlin (AuthCore, suspend, JNI):  %8.2f us/call   rounds: %s", kt / 1000, kotlin.joinToString { String.format("%.2f", it / 1000) }))
            println(String.format("rust   (direct, same process):   %8.2f us/call   rounds: %s", rs / 1000, rust.joinToString { String.format("%.2f", it / 1000) }))
            println(String.format("for context, one sync uniffi JNA call (UserContext.uniffiJnaGetString): %.2f us/call", fl / 1000))
            println(String.format("with a userContext: %.2f us/call; generated JNA path (native.getUser): %.2f us/call", withCtx.sorted()[rounds / 2] / 1000, jna.sorted()[rounds / 2] / 1000))
            println(String.format("with one pass-through Kotlin override layer: %.2f us/call; with an override answering without original: %.2f us/call", overridden.sorted()[rounds / 2] / 1000, answered.sorted()[rounds / 2] / 1000))
            println(String.format("overhead per call: %.2f us (target <= %.1f us): %s", overhead / 1000, targetNs / 1000, verdict))
            val get = ctxGet.sorted()[rounds / 2]
            val set = ctxSet.sorted()[rounds / 2]
            val ctxVerdict = if (get <= targetNs && set <= targetNs) "PASS" else "FAIL"
            println(String.format("UserContext.getString (JNI): %8.2f us/call   rounds: %s", get / 1000, ctxGet.joinToString { String.format("%.2f", it / 1000) }))
            println(String.format("UserContext.setString (JNI): %8.2f us/call   rounds: %s", set / 1000, ctxSet.joinToString { String.format("%.2f", it / 1000) }))
            println(String.format("for context, UserContext.setString through uniffi's JNA path: %.2f us/call", ctxJna.sorted()[rounds / 2] / 1000))
            println(String.format("UserContext get/set per call: %.2f / %.2f us (target <= %.1f us): %s", get / 1000, set / 1000, targetNs / 1000, ctxVerdict))
            if (check) assertTrue(overhead <= targetNs, "overhead ${overhead / 1000} us > ${targetNs / 1000} us")
            if (check) assertTrue(get <= targetNs && set <= targetNs, "UserContext get/set ${get / 1000} / ${set / 1000} us > ${targetNs / 1000} us")
        } finally {
            layered.close()
            answering.close()
            auth.close()
            dir.toFile().deleteRecursively()
        }
    }
    @Test
    fun signInUpPostRows(): Unit = runBlocking {
        val n = (System.getProperty("authcore.bench.n") ?: "20000").toInt()
        val check = System.getProperty("authcore.bench.check") == "true"
        val target = 0.5
        val dir = Files.createTempDirectory("authcore-kt-bench-api")
        val events = AtomicLong()
        val hooks = Hooks(handlers = listOf(EventSubscription(handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                events.incrementAndGet()
            }
        })))
        val lines = ArrayList<String>()
        var failed = false
        fun report(row: String, kotlinNs: Double, baseNs: Double, counts: Map<String, Long>) {
            val kotlinOps = n / (kotlinNs / 1e9)
            val baseOps = n / (baseNs / 1e9)
            val ratio = kotlinOps / baseOps
            val pass = ratio >= target
            failed = failed || !pass
            lines.add(String.format("  %-14s%13.0f%16.0f%7.2fx%9s  %s    users %d, sessions %d (same in both files)",
                row, kotlinOps, baseOps, ratio, ">= ${target}x", if (pass) "PASS" else "FAIL",
                counts["recipe_users"], counts["sessions"]))
        }
        try {
            // Sign-up, then sign-in of the same identities, on one engine with default settings.
            val enginePath = dir.resolve("api-kotlin.db")
            val basePath = dir.resolve("api-baseline.db")
            AuthCore.open(enginePath.toString(), AuthCoreConfig(), hooks).use { auth ->
                Baseline(basePath).use { base ->
                    for ((row, sessions) in listOf("api-signup" to n, "api-signin" to 2 * n)) {
                        val before = events.get()
                        val (kt, rs) = interleaved(n, { a, b -> postChunk(auth, row, a, b) }, { a, b -> base.run(row, a, b) })
                        check(events.get() - before >= n) { "$row: the handler saw ${events.get() - before} events for $n calls" }
                        report(row, kt, rs, counts(row, enginePath, basePath, users = n, sessions = sessions, groups = n))
                    }
                }
                auth.shutdown()
            }
            // Sign-up auto-linked by verified email into N verified github primaries (set up untimed on both sides).
            val linkPath = dir.resolve("api-autolink-kotlin.db")
            val linkBasePath = dir.resolve("api-autolink-baseline.db")
            val linking = AuthCoreConfig(accountLinking = AccountLinkingConfig(shouldAutomaticallyLink = true, shouldRequireVerification = true))
            AuthCore.open(linkPath.toString(), linking, hooks).use { auth ->
                Baseline(linkBasePath).use { base ->
                    for (i in 0 until n) {
                        val r = auth.manuallyCreateOrUpdateUser(SignInUpInput(
                            thirdPartyId = "github", thirdPartyUserId = "apigh-$i", email = EmailInput("user-$i@example.com", true)))
                        check(r is ManuallyCreateOrUpdateUserResult.Ok && r.linking.outcome == LinkingOutcome.BECAME_PRIMARY) { "primary $i: $r" }
                    }
                    base.setupPrimaries(n)
                    counts("api-autolink setup", linkPath, linkBasePath, users = n, sessions = 0, groups = n)
                    val before = events.get()
                    val (kt, rs) = interleaved(n, { a, b -> postChunk(auth, "api-autolink", a, b) }, { a, b -> base.run("api-autolink", a, b) })
                    check(events.get() - before >= n) { "api-autolink: the handler saw ${events.get() - before} events for $n calls" }
                    // Every sign-up linked: 2N login methods in N groups.
                    report("api-autolink", kt, rs, counts("api-autolink", linkPath, linkBasePath, users = 2 * n, sessions = n, groups = n))
                }
                auth.shutdown()
            }
            println("== kotlin bench: signInUpPost with one suspend event handler, against the raw-rusqlite baseline " +
                "(N=$n per side, same process, interleaved chunks of $CHUNK, calls one after another)")
            println(String.format("  %-14s%13s%16s%8s%9s  result  rows after the loop", "row", "kotlin ops/s", "baseline ops/s", "ratio", "target"))
            lines.forEach(::println)
            if (check) assertTrue(!failed, "a signInUpPost row is below ${target}x the baseline")
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    /** Operation `i` of a row: the identities of `ApiRow::identity` in core/benches/baseline. */
    private fun postInput(row: String, i: Int): SignInUpPostInput {
        val autolink = row == "api-autolink"
        val uid = (if (autolink) "apigo" else "api") + "-$i"
        return SignInUpPostInput(thirdPartyId = "google", userInfo = ProviderUserInfo(uid, EmailInput("user-$i@example.com", autolink)))
    }

    /** Operations `from until to` of `row` through the facade, one after another; the elapsed nanoseconds. */
    private suspend fun postChunk(auth: AuthCore, row: String, from: Int, to: Int): Double {
        val inputs = (from until to).map { postInput(row, it) }
        val expectNew = row != "api-signin"
        var wrong = 0
        val start = System.nanoTime()
        for (input in inputs) {
            val r = auth.signInUpPost(input)
            if (r !is SignInUpPostResult.Ok || r.createdNewRecipeUser != expectNew || r.accessToken.isEmpty()) wrong++
        }
        val elapsed = (System.nanoTime() - start).toDouble()
        check(wrong == 0) { "$row: $wrong unexpected results" }
        return elapsed
    }

    /** Both sides over `0 until n` in alternating chunks (which goes first alternates too); summed nanoseconds. */
    private suspend fun interleaved(
        n: Int,
        kotlin: suspend (Int, Int) -> Double,
        baseline: (Int, Int) -> Double,
    ): Pair<Double, Double> {
        var kt = 0.0
        var rs = 0.0
        var from = 0
        var k = 0
        while (from < n) {
            val to = minOf(n, from + CHUNK)
            if (k % 2 == 0) {
                kt += kotlin(from, to)
                rs += baseline(from, to)
            } else {
                rs += baseline(from, to)
                kt += kotlin(from, to)
            }
            from = to
            k++
        }
        return kt to rs
    }

    /** Same row counts in both files (else fails), and the users, sessions and groups this row must have left. */
    private fun counts(row: String, engine: Path, base: Path, users: Int, sessions: Int, groups: Int): Map<String, Long> {
        val answer = BenchNative.sameWork(engine.toString(), base.toString())
        check(!answer.startsWith("!")) { "$row: ${answer.substring(1)}" }
        val counts = answer.lines().associate { line -> line.substringBefore('=') to line.substringAfter('=').toLong() }
        val got = Triple(counts["recipe_users"], counts["sessions"], counts["groups"])
        check(got == Triple(users.toLong(), sessions.toLong(), groups.toLong())) {
            "$row: users, sessions, groups $got, expected ${Triple(users, sessions, groups)}"
        }
        return counts
    }

    /** The baseline side on one file (a native handle, closed with the block). */
    private class Baseline(path: Path) : AutoCloseable {
        private val handle = BenchNative.baselineOpen(path.toString())

        fun setupPrimaries(n: Int) = BenchNative.setupPrimaries(handle, n)

        fun run(row: String, from: Int, to: Int): Double = BenchNative.baselineRunNs(handle, row, from, to)

        override fun close() = BenchNative.baselineClose(handle)
    }

    private companion object {
        const val CHUNK = 500
    }
}

/**
 * The Rust half of the benchmark: a JNI function that exists only in a library built with the `bench` feature
 * (scripts/bench-kotlin builds it), so no public Kotlin or Swift API carries it.
 */
internal object BenchNative {
    init {
        val name = System.getProperty("uniffi.component.authcore.libraryOverride") ?: "authcore_uniffi"
        val file = runCatching { com.sun.jna.NativeLibrary.getInstance(name).file }.getOrNull()
        if (file != null && file.isFile) System.load(file.absolutePath) else System.loadLibrary(name)
    }

    @JvmStatic
    private external fun directGetUserNs(handle: Long, userId: ByteArray, iterations: Int): Double

    fun getUserNs(auth: dev.authcore.NativeAuthCore, userId: String, iterations: Int): Double {
        val ns = directGetUserNs(auth.uniffiCloneHandle(), userId.toByteArray(Charsets.UTF_8), iterations)
        check(ns >= 0) { "the direct Rust call failed" }
        return ns
    }

    @JvmStatic
    private external fun baselineOpen(path: ByteArray): Long

    @JvmStatic
    private external fun baselineSetup(handle: Long, n: Int): Boolean

    @JvmStatic
    private external fun baselineRunNs(handle: Long, row: ByteArray, from: Int, to: Int): Double

    /** Closes a baseline handle from [baselineOpen]. */
    @JvmStatic
    external fun baselineClose(handle: Long)

    @JvmStatic
    private external fun sameWork(engine: ByteArray, baseline: ByteArray): ByteArray

    /** Opens a baseline file (the raw-rusqlite side of the signInUpPost rows); its handle. */
    fun baselineOpen(path: String): Long {
        val handle = baselineOpen(path.toByteArray(Charsets.UTF_8))
        check(handle != 0L) { "the baseline did not open $path" }
        return handle
    }

    /** Untimed setup of api-autolink on a baseline: the `n` verified github primaries its sign-ups link into. */
    fun setupPrimaries(handle: Long, n: Int) = check(baselineSetup(handle, n)) { "the baseline setup failed" }

    fun baselineRunNs(handle: Long, row: String, from: Int, to: Int): Double {
        val ns = baselineRunNs(handle, row.toByteArray(Charsets.UTF_8), from, to)
        check(ns >= 0) { "the baseline failed on $row" }
        return ns
    }

    /** The engine file's row counts as `name=count` lines, or `!` and what differs from the baseline file. */
    fun sameWork(engine: String, baseline: String): String =
        String(sameWork(engine.toByteArray(Charsets.UTF_8), baseline.toByteArray(Charsets.UTF_8)), Charsets.UTF_8)
}
