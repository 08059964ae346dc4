package dev.authcore.test

import dev.authcore.AuthCore
import dev.authcore.AuthException
import dev.authcore.Database
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

/**
 * `AuthCore.open(database)`: the core checks the option (`DatabaseConfig`), so a bad one is
 * `AuthException.InvalidInput` (`INVALID_INPUT`) with the message Node and Python give. PostgreSQL itself is
 * exercised by [ScenarioTest.scenariosOnPostgres].
 */
class DatabaseTest {
    @Test
    fun `a bad database option is INVALID_INPUT naming the mistake`() {
        val empty = assertThrows<AuthException.InvalidInput> { runBlocking { AuthCore.open(Database.Postgres("  ", null)) } }
        assertEquals("INVALID_INPUT", empty.code())
        assertEquals("database", empty.field)
        assertTrue(empty.detail.contains("the PostgreSQL URL is empty"), empty.detail)
        val noPath = assertThrows<AuthException.InvalidInput> { runBlocking { AuthCore.open(Database.Sqlite("")) } }
        assertEquals("database", noPath.field)
        assertTrue(noPath.detail.contains("the SQLite path is empty"), noPath.detail)
        // The schema is checked before any connection: no server needed.
        val schema = assertThrows<AuthException.InvalidInput> {
            runBlocking { AuthCore.open(Database.Postgres("postgres://127.0.0.1:1/db", "Bad-Schema")) }
        }
        assertEquals("schema", schema.field)
    }

    @Test
    fun `the JVM library has PostgreSQL built in (an unreachable server is STORAGE_ERROR, not INVALID_INPUT)`() {
        val e = assertThrows<AuthException> {
            runBlocking { AuthCore.open(Database.Postgres("postgres://authcore@127.0.0.1:1/none?connect_timeout=2", null)) }
        }
        assertEquals("STORAGE_ERROR", e.code())
    }

    @Test
    fun `both forms of SQLite open a file`(): Unit = runBlocking {
        val dir = Files.createTempDirectory("authcore-kt-db")
        try {
            AuthCore.open(Database.Sqlite(dir.resolve("a.db").toString())).use { }
            AuthCore.open(dir.resolve("b.db").toString()).use { }
            assertTrue(Files.exists(dir.resolve("a.db")) && Files.exists(dir.resolve("b.db")))
        } finally {
            dir.toFile().deleteRecursively()
        }
    }
}
