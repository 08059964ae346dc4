package dev.authcore.test

import dev.authcore.Database
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.io.File
import java.util.UUID
import java.util.concurrent.atomic.AtomicInteger

/**
 * Replays every scenario file (tests/scenarios, `.json`) on the JVM: one dynamic test per file, on SQLite, and
 * again on PostgreSQL (`Database.Postgres`, each file in a new schema of its own) when `AUTHCORE_TEST_POSTGRES`
 * names a server (`scripts/test` starts a throwaway one and exports it). Unset: the PostgreSQL run is skipped,
 * except under CI (`CI` set), where it must run: a failure. The PostgreSQL run prints its own summary line
 * (`scenarios (postgres): N passed, M failed`), which scripts/test-kotlin repeats (`mvn -q` hides test output).
 */
class ScenarioTest {
    private fun scenarioFiles(): List<File> {
        val dir = File(System.getProperty("authcore.scenarios") ?: "../../../tests/scenarios")
        val files = dir.listFiles { f -> f.isFile && f.name.endsWith(".json") }?.sortedBy { it.name } ?: emptyList()
        assertTrue(files.isNotEmpty(), "no scenarios found in ${dir.absolutePath}")
        val filter = System.getenv("SCENARIO")
        return files.filter { filter == null || it.name.contains(filter) }
    }

    @TestFactory
    fun scenarios(): List<DynamicTest> =
        scenarioFiles().map { f -> DynamicTest.dynamicTest(f.name) { runBlocking { Runner.runScenario(f) } } }

    @TestFactory
    fun scenariosOnPostgres(): List<DynamicTest> {
        val url = System.getenv("AUTHCORE_TEST_POSTGRES")?.trim().orEmpty()
        if (url.isEmpty()) {
            val missing = "AUTHCORE_TEST_POSTGRES is not set (scripts/pg-test-server starts a throwaway server and prints its URL)"
            return listOf(
                DynamicTest.dynamicTest("scenarios (postgres)") {
                    if (!System.getenv("CI").isNullOrEmpty()) {
                        throw AssertionError("$missing: under CI the scenarios must run on PostgreSQL")
                    }
                    assumeTrue(false, missing)
                },
            )
        }
        return scenarioFiles().map { f ->
            DynamicTest.dynamicTest("${f.name} (postgres)") {
                try {
                    runBlocking { Runner.runScenario(f, Database.Postgres(url, freshSchema())) }
                    passedOnPostgres.incrementAndGet()
                } catch (e: Throwable) {
                    failedOnPostgres.incrementAndGet()
                    throw e
                }
            }
        }
    }

    companion object {
        private val passedOnPostgres = AtomicInteger()
        private val failedOnPostgres = AtomicInteger()

        /** A schema name no other run uses, so each scenario starts on empty tables of its own. */
        private fun freshSchema(): String = "s_" + UUID.randomUUID().toString().replace("-", "")

        /**
         * The PostgreSQL run's own summary line, as the Rust, Node and Python runners print it; also written to
         * `target/scenarios-postgres.txt`, which scripts/test-kotlin prints (`mvn -q` hides the tests' output).
         */
        @JvmStatic
        @AfterAll
        fun summary() {
            val passed = passedOnPostgres.get()
            val failed = failedOnPostgres.get()
            if (passed + failed == 0) return
            val line = "scenarios (postgres): $passed passed, $failed failed"
            println(line)
            File("target").mkdirs()
            File("target/scenarios-postgres.txt").writeText(line + "\n")
        }
    }
}
