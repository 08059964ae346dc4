package dev.authcore.test

import dev.authcore.AuthCore
import dev.authcore.model.AuthCoreConfig
import dev.authcore.model.EventName
import dev.authcore.Functions
import dev.authcore.FunctionsOverride
import dev.authcore.Hooks
import dev.authcore.UserContext
import dev.authcore.eventNameString
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files

/**
 * Benchmark (not a test; Surefire excludes it unless asked: scripts/bench-kotlin): the overhead of a trivial call
 * from Kotlin, `getUser` of an unknown id (a suspend call of the `AuthCore` facade, one JNI call), against the
 * same core call made directly in Rust, in the same process. Rounds alternate the two sides; the medians are
 * compared. For context it also prints the same call with a userContext, the generated JNA path
 * (`native.getUser`) and one synchronous JNA call. It also measures `UserContext` get and set (`getString`,
 * `setString`: one JNI call each) against the 5 µs target, with uniffi's JNA versions for context.
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
}
