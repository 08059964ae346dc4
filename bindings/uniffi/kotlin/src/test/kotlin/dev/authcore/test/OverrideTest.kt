package dev.authcore.test

import dev.authcore.model.AccountLinkingConfig
import dev.authcore.Apis
import dev.authcore.ApisOverride
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
import dev.authcore.Hooks
import dev.authcore.model.LinkingOutcome
import dev.authcore.model.ManuallyCreateOrUpdateUserResult
import dev.authcore.model.ProviderUserInfo
import dev.authcore.model.RedirectContext
import dev.authcore.model.SignInUpInput
import dev.authcore.model.SignInUpPostInput
import dev.authcore.model.SignInUpPostResult
import dev.authcore.model.SignInUpResult
import dev.authcore.model.User
import dev.authcore.UserContext
import dev.authcore.getUserCount
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

/** Overrides written in Kotlin: delegation, SuperTokens stacking, userContext identity, errors, events. */
class OverrideTest {
    private val dir = Files.createTempDirectory("authcore-kt-override")
    private val opened = ArrayList<AuthCore>()

    @AfterEach
    fun close() {
        opened.forEach { it.close() }
        dir.toFile().deleteRecursively()
    }

    private suspend fun open(
        functions: List<FunctionsOverride> = emptyList(),
        apis: List<ApisOverride> = emptyList(),
        handlers: List<EventSubscription> = emptyList(),
        alv: Boolean = true,
        hostTimeoutMs: ULong = 30_000uL,
    ): AuthCore {
        val config = AuthCoreConfig(
            accountLinking = AccountLinkingConfig(shouldAutomaticallyLink = alv, shouldRequireVerification = true),
            hostTimeoutMs = hostTimeoutMs,
        )
        val path = dir.resolve("auth-${opened.size}.db").toString()
        return AuthCore.open(path, config, Hooks(functions, apis, handlers)).also { opened.add(it) }
    }

    private fun input(uid: String, email: String = "$uid@example.com", verified: Boolean = true) =
        SignInUpInput(
            tenantId = "public",
            thirdPartyId = "google",
            thirdPartyUserId = uid,
            email = EmailInput(email, verified),
        )

    private fun functions(make: (Functions) -> Functions) = object : FunctionsOverride {
        override fun apply(original: Functions): Functions = make(original)
    }

    /** Changes one method by delegation; every other method is `original`'s. */
    class HideUser(original: Functions, private val hidden: java.util.concurrent.atomic.AtomicReference<String>) :
        Functions by original {
        private val below = original
        override suspend fun getUser(userId: String, userContext: UserContext): User? =
            if (userId == hidden.get()) null else below.getUser(userId, userContext)
    }

    @Test
    fun `delegation override changes one method only`(): Unit = runBlocking {
        val hidden = java.util.concurrent.atomic.AtomicReference("")
        val auth = open(functions = listOf(functions { HideUser(it, hidden) }), alv = false)
        val a = auth.signInUp(input("a")) as SignInUpResult.Ok
        val b = auth.signInUp(input("b")) as SignInUpResult.Ok
        hidden.set(b.user.id)
        assertNull(auth.getUser(b.user.id))
        assertEquals(a.user.id, auth.getUser(a.user.id)?.id)
        // Every other method is untouched: b still signs in, and lookups by account info still find it.
        val again = auth.signInUp(input("b")) as SignInUpResult.Ok
        assertEquals(b.user.id, again.user.id)
        assertFalse(again.createdNewUser)
        val found = auth.listUsersByAccountInfo("public", dev.authcore.model.AccountInfo(email = "b@example.com"))
        assertEquals(listOf(b.user.id), found.map { it.id })
    }

    @Test
    fun `override inside the built-in flow - createPrimaryUser refusal changes manuallyCreateOrUpdateUser`(): Unit = runBlocking {
        val calls = AtomicInteger()
        val refuse = functions { original ->
            object : Functions by original {
                override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult {
                    calls.incrementAndGet()
                    return CreatePrimaryUserResult.AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError("x", "refused in Kotlin")
                }
            }
        }
        val auth = open(functions = listOf(refuse))
        val r = auth.manuallyCreateOrUpdateUser(input("g1")) as ManuallyCreateOrUpdateUserResult.Ok
        assertFalse(r.user.isPrimaryUser)
        assertEquals(LinkingOutcome.NOT_LINKED, r.linking.outcome)
        assertTrue(calls.get() >= 1, "the Kotlin override was called from inside the built-in flow")
    }

    @Test
    fun `layers stack, later wraps earlier, and userContext is the caller's`(): Unit = runBlocking {
        val order = Collections.synchronizedList(ArrayList<String>())
        val seen = Collections.synchronizedList(ArrayList<UserContext>())
        fun layer(name: String) = functions { original ->
            object : Functions by original {
                override suspend fun signInUp(input: SignInUpInput, userContext: UserContext): SignInUpResult {
                    order.add("$name:${userContext.getString("who")}")
                    seen.add(userContext)
                    userContext.setBool("touched-$name", true)
                    return original.signInUp(input, userContext)
                }
            }
        }
        val auth = open(functions = listOf(layer("inner"), layer("outer")))
        val ctx = UserContext()
        ctx.setString("who", "caller")
        auth.signInUp(input("u1"), ctx)
        assertEquals(listOf("outer:caller", "inner:caller"), order)
        // The very same request context reaches every layer, and their writes are visible to the caller.
        assertTrue(seen.all { it.isSameRequest(ctx) })
        assertEquals(true, ctx.getBool("touched-outer"))
        assertEquals(true, ctx.getBool("touched-inner"))
    }

    @Test
    fun `events of a call made through an override are delivered once, after the outermost call`(): Unit = runBlocking {
        val delivered = Collections.synchronizedList(ArrayList<String>())
        val seenInside = ArrayList<List<String>>()
        val handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                delivered.add(event.name.name)
            }
        }
        val wrap = functions { original ->
            object : Functions by original {
                override suspend fun manuallyCreateOrUpdateUser(
                    input: SignInUpInput,
                    userContext: UserContext,
                ): ManuallyCreateOrUpdateUserResult {
                    val r = original.manuallyCreateOrUpdateUser(input, userContext)
                    // Committed but not yet delivered: delivery waits for the outermost call.
                    seenInside.add(ArrayList(delivered))
                    return r
                }
            }
        }
        val auth = open(functions = listOf(wrap), handlers = listOf(EventSubscription(null, handler)))
        auth.manuallyCreateOrUpdateUser(input("g1"))
        assertEquals(listOf(emptyList<String>()), seenInside)
        assertEquals(listOf("CREATE_USER", "UPDATE_USER"), delivered)
    }

    @Test
    fun `a Kotlin exception in an override is a typed AuthException HOST_ERROR, and the engine keeps working`(): Unit = runBlocking {
        val boom = functions { original ->
            object : Functions by original {
                override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult =
                    throw IllegalStateException("no primaries today")
            }
        }
        val auth = open(functions = listOf(boom), alv = false)
        val r = auth.signInUp(input("g1")) as SignInUpResult.Ok
        val e = assertThrows<AuthException.Host> { runBlocking { auth.createPrimaryUser(r.recipeUserId) } }
        assertEquals("HOST_ERROR", e.code())
        assertEquals("HOST_ERROR", e.code)
        assertTrue(e.reason.contains("no primaries today"), e.reason)
        // Inside the built-in flow too: manuallyCreateOrUpdateUser under ALV calls createPrimaryUser.
        val auth2 = open(functions = listOf(boom), alv = true)
        val e2 = assertThrows<AuthException> { runBlocking { auth2.manuallyCreateOrUpdateUser(input("g2")) } }
        assertEquals("HOST_ERROR", e2.code())
        // No crash, no poisoned state.
        assertEquals(r.user.id, auth.getUser(r.user.id)?.id)
    }

    @Test
    fun `an AuthException thrown by an override reaches the caller as the same variant`(): Unit = runBlocking {
        val typed = functions { original ->
            object : Functions by original {
                override suspend fun getUser(userId: String, userContext: UserContext): User? =
                    throw AuthException.UnknownUserId("UNKNOWN_USER_ID", "Unknown user ID provided", userId)
            }
        }
        val auth = open(functions = listOf(typed))
        val e = assertThrows<AuthException.UnknownUserId> { runBlocking { auth.getUser("abc") } }
        assertEquals("abc", e.userId)
        assertEquals("UNKNOWN_USER_ID", e.code())
    }

    @Test
    fun `core errors are typed with their code and fields`(): Unit = runBlocking {
        val auth = open()
        val e = assertThrows<AuthException.EmptyField> { runBlocking { auth.getUser("") } }
        assertEquals("EMPTY_FIELD", e.code())
        assertEquals("userId", e.field)
        val t = assertThrows<AuthException> { runBlocking { auth.getTenant("Bad Tenant!") } }
        assertEquals("INVALID_TENANT_ID", t.code())
    }

    @Test
    fun `a failing override factory makes open fail with an AuthException`(): Unit = runBlocking {
        val bad = object : FunctionsOverride {
            override fun apply(original: Functions): Functions =
                throw AuthException.Host("HOST_ERROR", "factory failed", "factory failed")
        }
        val e = assertThrows<AuthException> {
            runBlocking { AuthCore.open(dir.resolve("bad.db").toString(), AuthCoreConfig(), Hooks(functions = listOf(bad))) }
        }
        assertEquals("HOST_ERROR", e.code())
    }

    @Test
    fun `api override by delegation changes getRedirectionURL`(): Unit = runBlocking {
        val apis = object : ApisOverride {
            override fun apply(original: Apis): Apis = object : Apis by original {
                override suspend fun getRedirectionUrl(context: RedirectContext, userContext: UserContext): String? =
                    if (context.isNewUser) "/welcome" else original.getRedirectionUrl(context, userContext)
            }
        }
        val auth = open(apis = listOf(apis))
        val post = SignInUpPostInput(
            thirdPartyId = "google",
            userInfo = ProviderUserInfo("g1", EmailInput("a@x.com", true)),
            redirectToPath = "/home",
        )
        val first = auth.signInUpPost(post) as SignInUpPostResult.Ok
        assertEquals("/welcome", first.redirect.url)
        val second = auth.signInUpPost(post) as SignInUpPostResult.Ok
        assertEquals("/home", second.redirect.url)
    }

    @Test
    fun `a throwing event handler does not undo the operation and the event is redelivered`(): Unit = runBlocking {
        val fail = java.util.concurrent.atomic.AtomicBoolean(true)
        val got = Collections.synchronizedList(ArrayList<String>())
        val handler = object : EventHandler {
            override suspend fun handle(event: Event) {
                if (fail.get()) throw RuntimeException("handler down")
                got.add(event.id)
            }
        }
        val auth = open(handlers = listOf(EventSubscription(EventName.CREATE_USER, handler)), alv = false)
        val r = auth.signInUp(input("g1")) as SignInUpResult.Ok
        assertEquals(r.user.id, auth.getUser(r.user.id)?.id)
        fail.set(false)
        val report = auth.deliverPendingEvents()
        assertEquals(1uL, report.delivered)
        assertEquals(1, got.size)
    }

    @Test
    fun `concurrent calls through a suspending Kotlin override complete`(): Unit = runBlocking {
        val slow = functions { original ->
            object : Functions by original {
                override suspend fun signInUp(input: SignInUpInput, userContext: UserContext): SignInUpResult {
                    delay(5)
                    return original.signInUp(input, userContext)
                }
            }
        }
        val auth = open(functions = listOf(slow), alv = false)
        withTimeout(60_000) {
            val results = (0 until 100).map { i ->
                async(Dispatchers.Default) { auth.signInUp(input("c$i")) }
            }.awaitAll()
            assertEquals(100, results.count { it is SignInUpResult.Ok })
        }
    }

    @Test
    fun `an override that never answers fails with HostTimeout and leaves nothing behind`(): Unit = runBlocking {
        val stuck = functions { original ->
            object : Functions by original {
                override suspend fun getUser(userId: String, userContext: UserContext): User? {
                    delay(Long.MAX_VALUE)
                    return null
                }
            }
        }
        val auth = open(functions = listOf(stuck), alv = false, hostTimeoutMs = 200uL)
        val created = auth.signInUp(input("t1")) as SignInUpResult.Ok
        // Without the limit the call would wait for ever: withTimeout turns that into a failure, not a hang.
        val e = assertThrows<AuthException.HostTimeout> { withTimeout(20_000) { auth.getUser(created.user.id) } }
        assertEquals("HOST_TIMEOUT", e.code)
        // No lock is held and nothing is half-written: the engine goes on serving calls that do not wait.
        val again = auth.signInUp(input("t1")) as SignInUpResult.Ok
        assertEquals(created.user.id, again.user.id)
        assertFalse(again.createdNewUser)
    }

    @Test
    fun `an access-token payload nested deeper than 64 levels is InvalidInput`(): Unit = runBlocking {
        val auth = open(alv = false)
        val user = (auth.signInUp(input("d1")) as SignInUpResult.Ok).user
        for (depth in listOf(65, 10_000)) {
            val payload = "[".repeat(depth) + "]".repeat(depth)
            val e = assertThrows<AuthException.InvalidInput> {
                auth.createNewSession("public", user.id, payload)
            }
            assertEquals("INVALID_INPUT", e.code)
        }
        val ok = "[".repeat(63) + "]".repeat(63)
        assertTrue(auth.createNewSession("public", user.id, "{\"a\":$ok}") is dev.authcore.model.CreateNewSessionResult.Ok)
    }

    @Test
    fun `after shutdown every call throws ShutDown`(): Unit = runBlocking {
        val auth = open(alv = false)
        val user = (auth.signInUp(input("s1")) as SignInUpResult.Ok).user
        auth.shutdown()
        val calls: List<suspend () -> Any?> = listOf(
            { auth.getUser(user.id) },
            { auth.signInUp(input("s2")) },
            { auth.listAllTenants() },
            { auth.createNewSession("public", user.id) },
            { auth.listEvents() },
            { auth.deliverPendingEvents() },
        )
        for (call in calls) {
            val e = assertThrows<AuthException.ShutDown> { call() }
            assertEquals("SHUT_DOWN", e.code)
        }
        auth.shutdown() // a second shutdown does nothing
    }

    /** A `Functions` that records each method called on it, then calls `target` (a Java proxy: no Kotlin metadata). */
    private fun counting(target: Functions, seen: MutableList<String>): Functions =
        java.lang.reflect.Proxy.newProxyInstance(Functions::class.java.classLoader, arrayOf(Functions::class.java)) { _, m, args ->
            seen.add(m.name)
            try {
                m.invoke(target, *(args ?: emptyArray()))
            } catch (e: java.lang.reflect.InvocationTargetException) {
                throw e.targetException
            }
        } as Functions

    @Test
    fun `an override of createPrimaryUser alone makes no host crossing on getUser`(): Unit = runBlocking {
        val crossings = Collections.synchronizedList(ArrayList<String>())
        val layer = functions { original ->
            // Every crossing for a method this object does not write goes through `by`'s forwarder to the
            // counting delegate, so it is recorded.
            object : Functions by counting(original, crossings) {
                override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult {
                    crossings.add("createPrimaryUser (written)")
                    return original.createPrimaryUser(recipeUserId, userContext)
                }
            }
        }
        val auth = open(functions = listOf(layer), alv = false)
        val user = (auth.signInUp(input("x1")) as SignInUpResult.Ok).user
        crossings.clear()
        repeat(100) { assertEquals(user.id, auth.getUser(user.id)?.id) }
        assertEquals(emptyList<String>(), crossings.toList(), "getUser never crossed into Kotlin")
        auth.createPrimaryUser(user.id)
        assertEquals(listOf("createPrimaryUser (written)"), crossings.toList())

        // A layer without Kotlin metadata (here a Java proxy) cannot say what it replaces: everything crosses.
        val javaCrossings = Collections.synchronizedList(ArrayList<String>())
        val javaLayer = functions { original -> counting(original, javaCrossings) }
        val other = open(functions = listOf(javaLayer), alv = false)
        val u = (other.signInUp(input("x2")) as SignInUpResult.Ok).user
        javaCrossings.clear()
        other.getUser(u.id)
        assertEquals(listOf("getUser"), javaCrossings.toList())
    }

    @Test
    fun `getUserCount is a typed method derived from the core's declaration`(): Unit = runBlocking {
        val auth = open(alv = false)
        assertEquals(0L, auth.getUserCount())
        auth.signInUp(input("c1"))
        auth.signInUp(input("c2"))
        assertEquals(2L, auth.getUserCount())
        assertEquals(2L, auth.getUserCount(tenantId = " PUBLIC ", includeAllTenants = true))
        assertThrows<AuthException.TenantNotFound> { auth.getUserCount(tenantId = "nope") }
    }
}
