package dev.authcore.test

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.io.File

/** Replays every scenario file (tests/scenarios, `.json`) on the JVM: one dynamic test per file. */
class ScenarioTest {
    private fun scenarioFiles(): List<File> {
        val dir = File(System.getProperty("authcore.scenarios") ?: "../../../tests/scenarios")
        val files = dir.listFiles { f -> f.isFile && f.name.endsWith(".json") }?.sortedBy { it.name } ?: emptyList()
        assertTrue(files.isNotEmpty(), "no scenarios found in ${dir.absolutePath}")
        return files
    }

    @TestFactory
    fun scenarios(): List<DynamicTest> {
        val filter = System.getenv("SCENARIO")
        return scenarioFiles()
            .filter { filter == null || it.name.contains(filter) }
            .map { f -> DynamicTest.dynamicTest(f.name) { runBlocking { Runner.runScenario(f) } } }
    }
}
