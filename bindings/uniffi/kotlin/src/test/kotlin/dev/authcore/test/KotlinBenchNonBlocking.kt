package dev.authcore.test

import dev.authcore.AuthCore
import dev.authcore.model.AuthCoreConfig
import dev.authcore.model.GetAuthorisationUrlInput
import dev.authcore.model.GetAuthorisationUrlResult
import dev.authcore.model.ProviderClientConfig
import dev.authcore.model.ProviderConfig
import dev.authcore.model.RedirectUriInfo
import dev.authcore.model.SignInUpPostInput
import dev.authcore.model.SignInUpPostResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import kotlinx.coroutines.withContext
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.Duration
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger

/**
 * The never-blocking benchmark, Kotlin coroutines (issue 14, acceptance "Never blocking"; not a test: Surefire
 * excludes `KotlinBench*` unless asked, scripts/bench-nonblocking runs it with `-Dtest=KotlinBenchNonBlocking`).
 *
 * Against the real test OpenID Provider (tests/oidc/op.mjs, through [Peers]), on one [AuthCore] (temp SQLite file,
 * the OP configured as a provider by discovery, as [SeedTest] does), everything on `runBlocking`'s one thread
 * (its event loop plays the part of a server's single dispatcher thread):
 * - warm-up: one whole sign-in without delay (discovery, JWKS and the engine's I/O runtime are then warm); its
 *   user is the target of the cheap call, `auth.getUser(userId)`, called one after another, with a `yield()`
 *   every 64 calls so the other coroutines of the thread get their turn;
 * - per round: 100 authorisation codes obtained first (getAuthorisationUrl + the OP's `/__test/drive`, 8 at a
 *   time), the OP's token endpoint set to answer after 200 ms, the cheap call's rate measured for a fixed window
 *   (150 ms) unloaded, then the 100 `signInUpPost` calls with `redirectUriInfo` started as coroutines on the same
 *   thread (not awaited; each has made its first native poll before the window starts) and the same rate measured
 *   for the same window while they wait; then they are awaited, and the unloaded rate is measured again for one
 *   more window (the round's unloaded rate is that of both windows, so a drift of the machine's load falls on
 *   both sides). 200 ms pauses before each unloaded window let the OP and the drive traffic quiet down.
 * Validity, checked per round: no sign-in had finished at the end of the window, and by then the OP had received
 * all 100 token requests. Outcome: every sign-in OK (a new user each). Ratio: window-summed rate during /
 * unloaded over all rounds; target >= 0.90.
 *
 * System properties: `authcore.nb.rounds` (10), `authcore.nb.windowMs` (150), `authcore.nb.signins` (100),
 * `authcore.nb.delayMs` (200), `authcore.nb.fail` (`true`: the test fails when the ratio misses the target, a
 * sign-in failed or a window was not covered by pending sign-ins; `outcomes`: only when a sign-in failed;
 * `false` prints only).
 */
class KotlinBenchNonBlocking {
    private val callback = "http://127.0.0.1:9/callback"
    private val target = 0.9
    private val yieldEvery = 64
    private val settleMs = 200L

    private val http: HttpClient by lazy {
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build()
    }

    private fun prop(name: String, default: Int): Int = System.getProperty("authcore.nb.$name")?.toInt() ?: default

    /** A JSON request to the OP's test-control endpoints. */
    private suspend fun control(base: String, method: String, path: String, body: Any? = null): Map<*, *> = withContext(Dispatchers.IO) {
        val builder = HttpRequest.newBuilder(URI.create("$base$path")).timeout(Duration.ofSeconds(30)).header("accept", "application/json")
        val request = if (method == "POST") {
            builder.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body ?: emptyMap<String, Any>()))).build()
        } else {
            builder.GET().build()
        }
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "$method $path: HTTP ${response.statusCode()}: ${response.body().take(300)}" }
        Json.parse(response.body()) as Map<*, *>
    }

    private suspend fun tokenCount(base: String): Long = (control(base, "GET", "/__test/stats")["token"] as Number).toLong()

    @Test
    fun nonBlocking(): Unit = runBlocking {
        val rounds = prop("rounds", 10)
        val windowMs = prop("windowMs", 150)
        val signins = prop("signins", 100)
        val delayMs = prop("delayMs", 200)
        val fail = System.getProperty("authcore.nb.fail") ?: "true"
        check(windowMs < delayMs) { "the window must be shorter than the token delay" }
        val base = withContext(Dispatchers.IO) { Peers.base("op") }
        val config = AuthCoreConfig(
            providers = listOf(
                ProviderConfig(
                    thirdPartyId = "oidc",
                    oidcDiscoveryEndpoint = base,
                    clients = listOf(ProviderClientConfig(clientId = "web", clientSecret = "web-secret", scope = listOf("openid", "email"))),
                ),
            ),
        )
        val dir = Files.createTempDirectory("authcore-kt-nonblocking")
        val auth = AuthCore.open(dir.resolve("auth.db").toString(), config)
        var ok = true // every target met and every round valid
        var outcomes = true // every sign-in succeeded
        try {
            // A redirect as the app would get it back: the code, state and iss the OP redirected with.
            suspend fun codeFor(login: String): RedirectUriInfo {
                val start = auth.getAuthorisationUrl(
                    GetAuthorisationUrlInput(thirdPartyId = "oidc", redirectUriOnProviderDashboard = callback),
                ) as GetAuthorisationUrlResult.Ok
                val back = Peers.drive(mapOf("url" to start.urlWithQueryParams, "login" to login)) as Map<*, *>
                check(back["code"] is String && back["state"] == start.state) { "drive $login: $back" }
                val query = Json.write(mapOf("code" to back["code"], "state" to back["state"], "iss" to back["iss"]))
                return RedirectUriInfo(redirectUriOnProviderDashboard = callback, redirectUriQueryParams = query, pkceCodeVerifier = start.pkceCodeVerifier)
            }
            suspend fun signIn(info: RedirectUriInfo): SignInUpPostResult =
                auth.signInUpPost(SignInUpPostInput(thirdPartyId = "oidc", redirectUriInfo = info))

            control(base, "POST", "/__test/token-delay", mapOf("ms" to 0))
            val warm = signIn(codeFor("nb-kt-warm"))
            check(warm is SignInUpPostResult.Ok) { "warm-up sign-in: $warm" }
            val userId = warm.user.id

            // The cheap call, one after another for `ms`: (calls, seconds).
            suspend fun measure(ms: Int): Pair<Long, Double> {
                var n = 0L
                val t0 = System.nanoTime()
                val end = t0 + ms * 1_000_000L
                while (true) {
                    repeat(yieldEvery) {
                        val u = auth.getUser(userId)
                        check(u != null && u.id == userId) { "getUser answered $u" }
                    }
                    n += yieldEvery
                    val t = System.nanoTime()
                    if (t >= end) return n to (t - t0) / 1e9
                    yield()
                }
            }
            measure(2500) // JIT warm-up

            var unloadedN = 0L
            var unloadedS = 0.0
            var duringN = 0L
            var duringS = 0.0
            var completed = 0
            var total = 0
            val ratios = ArrayList<Double>()
            val limit = Semaphore(8)
            for (round in 1..rounds) {
                val tc = System.nanoTime()
                val infos = (0 until signins).map { i -> async { limit.withPermit { codeFor("nb-kt-r$round-$i") } } }.awaitAll()
                val codesMs = (System.nanoTime() - tc) / 1e6
                control(base, "POST", "/__test/token-delay", mapOf("ms" to delayMs))
                val before = tokenCount(base)

                delay(settleMs) // the OP and the drive traffic quiet down
                val before1 = measure(windowMs)

                val started = AtomicInteger()
                val done = AtomicInteger()
                val failures = ConcurrentLinkedQueue<String>()
                val t0 = System.nanoTime()
                val jobs = infos.map { info ->
                    async {
                        started.incrementAndGet()
                        try {
                            val r = signIn(info)
                            if (r !is SignInUpPostResult.Ok || !r.createdNewUser) failures.add(r.toString().take(300))
                        } catch (e: Throwable) {
                            failures.add(e.toString().take(600))
                        } finally {
                            done.incrementAndGet()
                        }
                    }
                }
                // Each started coroutine runs until its call suspends (its first native poll parked it).
                while (started.get() < signins) yield()
                val launchMs = (System.nanoTime() - t0) / 1e6
                val during = measure(windowMs)
                val doneAtEnd = done.get()
                val sinceLaunchMs = (System.nanoTime() - t0) / 1e6
                val reached = tokenCount(base) - before
                jobs.awaitAll()
                val allMs = (System.nanoTime() - t0) / 1e6
                delay(settleMs)
                val after1 = measure(windowMs)
                control(base, "POST", "/__test/token-delay", mapOf("ms" to 0))
                // The unloaded rate of the round: one window right before the sign-ins start, one once they are all
                // done (so a drift of the machine's load during the round falls on both sides).
                val unloaded = (before1.first + after1.first) to (before1.second + after1.second)

                val covered = doneAtEnd == 0 && reached == signins.toLong()
                val succeeded = signins - failures.size
                completed += succeeded
                total += signins
                ratios.add((during.first / during.second) / (unloaded.first / unloaded.second))
                unloadedN += unloaded.first
                unloadedS += unloaded.second
                duringN += during.first
                duringS += during.second
                println(String.format(
                    "  kotlin round %d: codes %.0f ms; unloaded %.0f ops/s before, %.0f after; ratio %.2f; %d sign-ins started in %.1f ms, during %.0f ops/s over %.0f ms " +
                        "(window ended %.0f ms after start), finished at window end %d, token requests at the OP %d/%d, all done after %.0f ms, OK %d/%d",
                    round, codesMs, before1.first / before1.second, after1.first / after1.second,
                    (during.first / during.second) / (unloaded.first / unloaded.second), signins, launchMs, during.first / during.second, during.second * 1000,
                    sinceLaunchMs, doneAtEnd, reached, signins, allMs, succeeded, signins,
                ))
                if (failures.isNotEmpty()) {
                    ok = false
                    outcomes = false
                    println("  kotlin round $round: failed sign-ins, first: ${failures.peek()}")
                }
                if (!covered) {
                    ok = false
                    println("  kotlin round $round: INVALID window: sign-ins were not all pending at the token endpoint throughout")
                }
            }
            val unloadedRate = unloadedN / unloadedS
            val duringRate = duringN / duringS
            val ratio = duringRate / unloadedRate
            val median = ratios.sorted()[ratios.size / 2]
            if (ratio < target) ok = false
            println(String.format(
                "nonblocking kotlin: unloaded %.0f ops/s, during %d pending sign-ins %.0f ops/s, ratio %.2f (target >= %.2f), " +
                    "pending sign-ins completed %d/%d (%d rounds of %d, %d ms token delay, %d ms windows; median round ratio %.2f) %s",
                unloadedRate, signins, duringRate, ratio, target, completed, total, rounds, signins, delayMs, windowMs, median, if (ok) "PASS" else "FAIL",
            ))
            System.out.flush()
            when (fail) {
                "true" -> assertTrue(ok, "nonblocking kotlin: FAIL (see the lines above)")
                "outcomes" -> assertTrue(outcomes, "nonblocking kotlin: a sign-in failed (see the lines above)")
            }
        } finally {
            auth.close()
            dir.toFile().deleteRecursively()
        }
    }
}
