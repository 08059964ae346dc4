package dev.authcore.test

import dev.authcore.model.AccountLinkingConfig
import dev.authcore.AuthCore
import dev.authcore.model.AuthCoreConfig
import dev.authcore.AuthException
import dev.authcore.model.CreatePrimaryUserResult
import dev.authcore.model.EmailInput
import dev.authcore.model.Event
import dev.authcore.EventHandler
import dev.authcore.model.EventName
import dev.authcore.EventSubscription
import dev.authcore.Functions
import dev.authcore.FunctionsOverride
import dev.authcore.model.GetUsersInput
import dev.authcore.Hooks
import dev.authcore.model.SignInUpInput
import dev.authcore.model.SignInUpResult
import dev.authcore.model.User
import dev.authcore.UserContext
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

/**
 * The Kotlin facade (`AuthCore` over the JNI call path): same results as the generated JNA path, calls that
 * wait on Kotlin code (parked and resumed), cancellation, concurrency, close, and host `Error`s.
 */
class FacadeTest {
    private val dir = Files.createTempDirectory("authcore-kt-facade")
    private val opened = ArrayList<AuthCore>()

    @AfterEach
    fun cleanup() {
        opened.forEach { it.close() }
        dir.toFile().deleteRecursively()
    }

    private suspend fun open(hooks: Hooks = Hooks(), alv: Boolean = false): AuthCore {
        val config = AuthCoreConfig(accountLinking = AccountLinkingConfig(shouldAutomaticallyLink = alv, shouldRequireVerification = true))
        return AuthCore.open(dir.resolve("f-${opened.size}.db").toString(), config, hooks).also { opened.add(it) }
    }

    private fun input(uid: String, verified: Boolean = true) =
        SignInUpInput(tenantId = "public", thirdPartyId = "google", thirdPartyUserId = uid, email = EmailInput("$uid@example.com", verified))

    private fun functions(make: (Functions) -> Functions) = object : FunctionsOverride {
        override fun apply(original: Functions): Functions = make(original)
    }

    @Test
    fun `the JNI path and the generated JNA path give the same results and errors`(): Unit = runBlocking {
        val auth = open()
        val r = auth.signInUp(input("same")) as SignInUpResult.Ok
        assertEquals(auth.native.getUser(r.user.id), auth.getUser(r.user.id))
        assertEquals(auth.native.getUsers(GetUsersInput(timeJoinedOrder = dev.authcore.model.TimeJoinedOrder.ASC)), auth.getUsers())
        assertEquals(auth.native.listAllTenants(), auth.listAllTenants())
        val viaJni = assertThrows<AuthException.EmptyField> { runBlocking { auth.getUser("") } }
        val viaJna = assertThrows<AuthException.EmptyField> { runBlocking { auth.native.getUser("") } }
        assertEquals(listOf(viaJna.code(), viaJna.message, viaJna.field), listOf(viaJni.code(), viaJni.message, viaJni.field))
        // A large argument (grows the argument buffer) round-trips.
        val long = "x".repeat(300)
        val e = assertThrows<AuthException> { runBlocking { auth.signInUp(input(long)) } }
        assertEquals("FIELD_TOO_LONG", e.code())
    }

    @Test
    fun `a call that waits on a suspending override is resumed, with the caller's userContext`(): Unit = runBlocking {
        val seen = Collections.synchronizedList(ArrayList<Boolean>())
        val ctx = UserContext()
        val slow = functions { original ->
            object : Functions by original {
                override suspend fun getUser(userId: String, userContext: UserContext): User? {
                    delay(20)
                    seen.add(userContext.isSameRequest(ctx))
                    userContext.setString("seen-by", "override")
                    return original.getUser(userId, userContext)
                }
            }
        }
        val auth = open(Hooks(functions = listOf(slow)))
        val r = auth.signInUp(input("p1")) as SignInUpResult.Ok
        assertEquals(r.user.id, auth.getUser(r.user.id, ctx)?.id)
        assertEquals(listOf(true), seen)
        assertEquals("override", ctx.getString("seen-by"))
        // The context stays usable after being lent to calls, and closing it is the caller's business.
        ctx.close()
        assertThrows<IllegalStateException> { runBlocking { auth.getUser(r.user.id, ctx) } }
    }

    @Test
    fun `a call cancelled while it waits on an override is dropped and the engine keeps working`(): Unit = runBlocking {
        val entered = AtomicInteger()
        val stuck = functions { original ->
            object : Functions by original {
                override suspend fun signInUp(input: SignInUpInput, userContext: UserContext): SignInUpResult {
                    if (input.thirdPartyUserId == "stuck") {
                        entered.incrementAndGet()
                        delay(30_000)
                    }
                    return original.signInUp(input, userContext)
                }
            }
        }
        val auth = open(Hooks(functions = listOf(stuck)))
        val started = System.nanoTime()
        val result = withTimeoutOrNull(300) { auth.signInUp(input("stuck")) }
        val waitedMs = (System.nanoTime() - started) / 1_000_000
        assertNull(result)
        assertEquals(1, entered.get())
        assertTrue(waitedMs < 10_000, "cancellation took $waitedMs ms")
        // Nothing was written for the cancelled call, and the next calls work.
        assertEquals(0, auth.getUsers().users.size)
        val ok = auth.signInUp(input("fine")) as SignInUpResult.Ok
        assertEquals(1, auth.getUsers().users.size)
        assertEquals(ok.user.id, auth.getUser(ok.user.id)?.id)
    }

    @Test
    fun `1000 concurrent sign-ins over two threads, 500 of one identity, give one user for it`(): Unit = runBlocking {
        val created = AtomicInteger()
        val handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                created.incrementAndGet()
            }
        }
        val auth = open(Hooks(handlers = listOf(EventSubscription(EventName.CREATE_USER, handler))))
        val results = withTimeout(120_000) {
            (0 until 1000).map { i ->
                async(Dispatchers.Default) { auth.signInUp(input(if (i % 2 == 0) "shared" else "u$i")) as SignInUpResult.Ok }
            }.awaitAll()
        }
        val shared = results.filterIndexed { i, _ -> i % 2 == 0 }
        assertEquals(1, shared.map { it.user.id }.toSet().size)
        assertEquals(1, shared.count { it.createdNewUser })
        assertEquals(501, results.map { it.user.id }.toSet().size)
        assertEquals(501, created.get(), "one createUser event per user, delivered before its call returned")
    }

    @Test
    fun `a closed AuthCore refuses calls with IllegalStateException, and close is idempotent`(): Unit = runBlocking {
        val auth = open()
        val r = auth.signInUp(input("c1")) as SignInUpResult.Ok
        auth.close()
        auth.close()
        assertThrows<IllegalStateException> { runBlocking { auth.getUser(r.user.id) } }
        // The data is on disk: a new engine on the same file sees it.
        val again = AuthCore.open(dir.resolve("f-0.db").toString())
        assertNotNull(again.getUser(r.user.id))
        again.close()
    }

    @Test
    fun `closing releases the engine - 200 open-use-close cycles leave no file descriptors behind`(): Unit = runBlocking {
        fun fds() = java.io.File("/proc/self/fd").list()?.size ?: 0
        // Warm-up: class loading, the library, JNA's own descriptors.
        AuthCore.open(dir.resolve("warm.db").toString()).use { it.getUser("x") }
        val before = fds()
        repeat(200) { i ->
            val hooks = Hooks(functions = listOf(functions { original -> object : Functions by original {} }))
            AuthCore.open(dir.resolve("cycle-$i.db").toString(), AuthCoreConfig(), hooks).use { auth ->
                val r = auth.signInUp(input("cycle$i")) as SignInUpResult.Ok
                assertEquals(r.user.id, auth.getUser(r.user.id)?.id)
            }
        }
        val grown = fds() - before
        // Each open engine holds several descriptors (database, WAL, shared memory, readers): a leak of one
        // engine per cycle would add hundreds.
        assertTrue(grown < 20, "file descriptors grew by $grown over 200 cycles")
    }

    @Test
    fun `nothing is left in flight after calls that suspended in hooks, failed or were cancelled`(): Unit = runBlocking {
        val layer = functions { original ->
            object : Functions by original {
                override suspend fun getUser(userId: String, userContext: UserContext): User? {
                    when (userId) {
                        "slow" -> delay(2)
                        "stuck" -> delay(30_000)
                        "boom" -> throw IllegalStateException("boom")
                    }
                    return original.getUser(userId, userContext)
                }
            }
        }
        val handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                delay(1)
            }
        }
        val auth = open(Hooks(functions = listOf(layer), handlers = listOf(EventSubscription(null, handler))))
        withTimeout(60_000) {
            (0 until 200).map { i ->
                async(Dispatchers.Default) {
                    when (i % 4) {
                        0 -> auth.getUser("slow")
                        1 -> runCatching { auth.getUser("boom") }
                        2 -> withTimeoutOrNull(5) { auth.getUser("stuck") }
                        else -> auth.signInUp(input("n$i"))
                    }
                }
            }.awaitAll()
        }
        assertEquals(50, auth.getUsers().users.size)
        // Cancelled and finished calls alike leave no parked call and no waiting upcall behind.
        assertEquals(0uL, dev.authcore.fastPathInFlight())
    }

    @Test
    fun `a kotlin Error thrown by an override is HOST_ERROR, not a hang`(): Unit = runBlocking {
        val failing = functions { original ->
            object : Functions by original {
                override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult =
                    throw AssertionError("assertion in Kotlin")

                override suspend fun getUser(userId: String, userContext: UserContext): User? = TODO("not written yet")
            }
        }
        val auth = open(Hooks(functions = listOf(failing)))
        val r = auth.signInUp(input("e1")) as SignInUpResult.Ok
        val e = withTimeout(10_000) { runCatching { auth.createPrimaryUser(r.recipeUserId) }.exceptionOrNull() }
        assertTrue(e is AuthException.Host, "got $e")
        assertEquals("HOST_ERROR", (e as AuthException).code())
        assertTrue(e.message!!.contains("assertion in Kotlin"), e.message)
        val t = withTimeout(10_000) { runCatching { auth.getUser(r.user.id) }.exceptionOrNull() }
        assertTrue(t is AuthException.Host && t.message!!.contains("NotImplementedError"), "got $t")
    }

    @Test
    fun `a kotlin Error thrown by an event handler leaves the event pending, not the call waiting`(): Unit = runBlocking {
        val fail = java.util.concurrent.atomic.AtomicBoolean(true)
        val handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                if (fail.get()) throw StackOverflowError("handler blew up")
            }
        }
        val auth = open(Hooks(handlers = listOf(EventSubscription(EventName.CREATE_USER, handler))))
        val r = withTimeout(10_000) { auth.signInUp(input("h1")) as SignInUpResult.Ok }
        assertTrue(r.createdNewUser)
        fail.set(false)
        assertEquals(1uL, auth.deliverPendingEvents().delivered)
    }
}
