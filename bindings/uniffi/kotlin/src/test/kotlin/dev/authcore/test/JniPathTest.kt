package dev.authcore.test

import dev.authcore.AuthCore
import dev.authcore.model.AuthCoreConfig
import dev.authcore.AuthException
import dev.authcore.model.EmailInput
import dev.authcore.model.ListEventsInput
import dev.authcore.model.SignInUpInput
import dev.authcore.model.SignInUpResult
import dev.authcore.UserContext
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

/**
 * The JNI paths of `UserContext` (the generated class's methods, patched by scripts/gen-bindings to call
 * `ContextCalls`) and of the engine handle's own methods (`listEvents`, `call`, `deliverPendingEvents`) give
 * the same results, errors and `close()` behaviour as uniffi's generated JNA path (`uniffiJna...`, `auth.native`).
 */
class JniPathTest {
    /** A result or the error's class, code and message: what a caller can observe. */
    private inline fun outcome(block: () -> Any?): Any? =
        try {
            block()
        } catch (e: AuthException) {
            listOf(e.javaClass, e.code(), e.message)
        } catch (e: IllegalStateException) {
            listOf(e.javaClass, e.message)
        }

    @Test
    fun `UserContext get and set over JNI match the generated JNA path`() {
        val ctx = UserContext()
        ctx.setString("s", "text é \u0000 ✓")
        ctx.setBool("b", true)
        ctx.setJson("j", """{"a":[1,2,{"b":null}]}""")
        ctx.uniffiJnaSetString("viaJna", "x")
        for (key in listOf("s", "b", "j", "viaJna", "missing", "")) {
            assertEquals(ctx.uniffiJnaGetString(key), ctx.getString(key), key)
            assertEquals(ctx.uniffiJnaGetBool(key), ctx.getBool(key), key)
            assertEquals(ctx.uniffiJnaGetJson(key), ctx.getJson(key), key)
        }
        assertEquals("text é \u0000 ✓", ctx.getString("s"))
        assertEquals(true, ctx.getBool("b"))
        assertEquals(ctx.uniffiJnaKeys(), ctx.keys())
        assertEquals(ctx.uniffiJnaToJson(), ctx.toJson())
        ctx.remove("viaJna")
        assertNull(ctx.uniffiJnaGetString("viaJna"))
        ctx.uniffiJnaRemove("s")
        assertNull(ctx.getString("s"))
        // Errors: the same AuthException variant, code and message.
        assertEquals(outcome { ctx.uniffiJnaSetJson("bad", "{") }, outcome { ctx.setJson("bad", "{") })
        assertThrows<AuthException.InvalidInput> { ctx.setJson("bad", "{") }
        // isSameRequest, with a context from fromJson.
        val other = UserContext.fromJson("""{"k":"v"}""")
        assertEquals("v", other.getString("k"))
        assertTrue(ctx.isSameRequest(ctx))
        assertEquals(ctx.uniffiJnaIsSameRequest(ctx), ctx.isSameRequest(ctx))
        assertFalse(ctx.isSameRequest(other))
        assertEquals(ctx.uniffiJnaIsSameRequest(other), ctx.isSameRequest(other))
        // A closed argument: the JNI path refuses it (uniffi's path clones the freed handle without checking).
        other.close()
        assertThrows<IllegalStateException> { ctx.isSameRequest(other) }
        // close(): later calls fail the same way on both paths.
        ctx.close()
        assertEquals(outcome { ctx.uniffiJnaGetString("b") }, outcome { ctx.getString("b") })
        assertEquals(outcome { ctx.uniffiJnaSetBool("b", false) }, outcome { ctx.setBool("b", false) })
        assertThrows<IllegalStateException> { ctx.keys() }
    }

    @Test
    fun `listEvents, call and deliverPendingEvents over JNI match the generated JNA path`(): Unit = runBlocking {
        val dir = Files.createTempDirectory("authcore-kt-jni")
        val auth = AuthCore.open(dir.resolve("jni.db").toString(), AuthCoreConfig())
        try {
            val input = SignInUpInput(tenantId = "public", thirdPartyId = "google", thirdPartyUserId = "jni", email = EmailInput("jni@example.com", true))
            val user = (auth.signInUp(input) as SignInUpResult.Ok).user
            val events = auth.listEvents()
            assertTrue(events.events.isNotEmpty())
            assertEquals(auth.native.listEvents(ListEventsInput()), events)
            val byUser = ListEventsInput(userId = user.id)
            assertEquals(auth.native.listEvents(byUser), auth.listEvents(byUser))
            assertEquals(outcome { auth.native.listEvents(ListEventsInput(limit = 0u)) }, outcome { auth.listEvents(ListEventsInput(limit = 0u)) })
            val ctx = UserContext()
            for ((op, args) in listOf("getUserCount" to "{}", "getUser" to """{"userId":"${user.id}"}""", "getUser" to """{"userId":""}""", "noSuchOp" to "{}", "getUser" to "{")) {
                assertEquals(outcome { runBlocking { auth.native.call(op, args, ctx) } }, outcome { runBlocking { auth.call(op, args, ctx) } }, "$op $args")
                assertEquals(outcome { runBlocking { auth.native.call(op, args) } }, outcome { runBlocking { auth.call(op, args) } }, "$op $args")
            }
            ctx.close()
            assertEquals(auth.native.deliverPendingEvents(), auth.deliverPendingEvents())
            assertEquals(0uL, dev.authcore.fastPathInFlight())
        } finally {
            auth.close()
            dir.toFile().deleteRecursively()
        }
        assertThrows<IllegalStateException> { auth.listEvents() }
    }
}
