package dev.authcore.test

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

/**
 * The test peers of tests/oidc (tests/scenarios/README.md "Peers"), as core/tests/common/runner.rs has them
 * (`peer_base`, `with_peers`, the `drive` op): each is started on first use and shared by every scenario of this
 * JVM. A peer is `node <script>` with a piped stdin that stays open for the JVM's lifetime: the peer exits when
 * that pipe closes, so it never outlives the JVM, even one that is killed; a shutdown hook also stops it.
 */
object Peers {
    private const val START_TIMEOUT_SECONDS = 60L

    /** A peer that printed nothing in time is killed and started again, this many times in all. */
    private const val START_ATTEMPTS = 3

    private class Peer(val process: Process, val base: String, val stderr: StringBuffer)

    private val peers = HashMap<String, Peer>()

    private val dir: File
        get() = File(System.getProperty("authcore.peers") ?: "../../../tests/oidc")

    private val http: HttpClient by lazy {
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build()
    }

    /** The base URL of the peer `name` (`op`: the OP's issuer; `fakes`), starting it if needed. */
    @Synchronized
    fun base(name: String): String {
        peers[name]?.let { return it.base }
        val (script, key) = when (name) {
            "op" -> "op.mjs" to "issuer"
            "fakes" -> "fakes.mjs" to "base"
            else -> throw IllegalArgumentException("unknown peer $name")
        }
        val failures = StringBuilder()
        var peer: Peer? = null
        for (attempt in 1..START_ATTEMPTS) {
            // A start that hangs (seen twice in full CI runs, never alone) is not retried by the peer itself.
            peer = runCatching { start(script, key) }
                .onFailure { failures.append("attempt $attempt: ${it.message}\n") }
                .getOrNull()
            if (peer != null) break
        }
        if (peer == null) throw IllegalStateException("$script did not start:\n$failures")
        if (failures.isNotEmpty()) System.err.println("$script started after failed attempts:\n$failures")
        peers[name] = peer
        return peer.base
    }

    private fun start(script: String, key: String): Peer {
        val process = ProcessBuilder("node", script)
            .directory(dir)
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .redirectError(ProcessBuilder.Redirect.PIPE)
            .start()
        Runtime.getRuntime().addShutdownHook(Thread { stop(process) })
        val stderr = StringBuffer()
        daemon("peer-$script-stderr") {
            process.errorStream.bufferedReader().forEachLine { if (stderr.length < 100_000) stderr.append(it).append('\n') }
        }
        val first = CompletableFuture<String?>()
        daemon("peer-$script-stdout") {
            val reader = process.inputStream.bufferedReader()
            first.complete(reader.readLine())
            while (reader.readLine() != null) Unit // nothing more is printed; keep the pipe drained anyway
        }
        val line = try {
            first.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        } catch (e: Exception) {
            null
        }
        if (line.isNullOrBlank()) {
            stop(process)
            throw IllegalStateException("$script printed no start-up line in $START_TIMEOUT_SECONDS s; stderr:\n$stderr")
        }
        val info = Json.parse(line) as? Map<*, *> ?: throw IllegalStateException("$script: bad start-up line $line")
        val base = info[key] as? String ?: throw IllegalStateException("$script: no $key in $line")
        return Peer(process, base, stderr)
    }

    private fun daemon(name: String, body: () -> Unit) {
        Thread({ runCatching(body) }, name).apply { isDaemon = true }.start()
    }

    private fun stop(process: Process) {
        if (!process.isAlive) return
        runCatching { process.outputStream.close() }
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    /** Replaces every `{"$peer": name}` in `v` by that peer's base URL. */
    fun withPeers(v: Any?): Any? = when (v) {
        is Map<*, *> -> if (v.size == 1 && v.containsKey("\$peer")) {
            base(v["\$peer"] as? String ?: throw IllegalArgumentException("\$peer needs a string"))
        } else {
            LinkedHashMap<String, Any?>().also { out -> for ((k, x) in v) out[k as String] = withPeers(x) }
        }
        is List<*> -> v.map { withPeers(it) }
        else -> v
    }

    /**
     * The pseudo-op `drive`: POSTs `args` as JSON to `<op>/__test/drive`; the step's result is the OP's JSON
     * answer, whatever its HTTP status (as in runner.rs). An answer that is not JSON is [CallFailure]
     * `INTERNAL_ERROR`.
     */
    suspend fun drive(args: Map<*, *>): Any? {
        val base = withContext(Dispatchers.IO) { base("op") }
        val request = HttpRequest.newBuilder(URI.create("$base/__test/drive"))
            .timeout(Duration.ofSeconds(60))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.write(args)))
            .build()
        val response = withContext(Dispatchers.IO) { http.send(request, HttpResponse.BodyHandlers.ofString()) }
        return try {
            Json.parse(response.body())
        } catch (e: Exception) {
            throw CallFailure("INTERNAL_ERROR", "drive: HTTP ${response.statusCode()}, not JSON: ${response.body().take(500)}")
        }
    }
}
