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
import dev.authcore.Hooks
import dev.authcore.model.ProviderUserInfo
import dev.authcore.model.SignInUpPostInput
import dev.authcore.model.SignInUpPostResult
import dev.authcore.UserContext
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test
import java.nio.file.Files

/** The README's Kotlin example, kept compiling and passing. */
class ReadmeExampleTest {
    // --- README example begins ---
    /** Changes one method; every other one is `original`'s (Kotlin delegation). */
    class NoPrimaryWhenAsked(private val original: Functions) : Functions by original {
        override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult {
            if (userContext.getBool("noPrimary") == true) {
                return CreatePrimaryUserResult.AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError(
                    primaryUserId = "", description = "not now",
                )
            }
            return original.createPrimaryUser(recipeUserId, userContext)
        }
    }

    suspend fun example(dbPath: String): List<String> {
        val log = mutableListOf<String>()
        val auth = AuthCore.open(
            path = dbPath,
            config = AuthCoreConfig(accountLinking = AccountLinkingConfig(shouldAutomaticallyLink = true)),
            hooks = Hooks(
                functions = listOf(object : FunctionsOverride {
                    override fun apply(original: Functions): Functions = NoPrimaryWhenAsked(original)
                }),
                handlers = listOf(EventSubscription(EventName.CREATE_USER, object : EventHandler {
                    override suspend fun handle(event: Event) {
                        log.add("new user ${event.userId}")
                    }
                })),
            ),
        )
        try {
            val ctx = UserContext().apply { setBool("noPrimary", true) }
            val input = SignInUpPostInput(
                thirdPartyId = "google",
                userInfo = ProviderUserInfo("g-123", EmailInput("a@example.com", isVerified = true)),
                redirectToPath = "/home",
            )
            when (val r = auth.signInUpPost(input, ctx)) {
                is SignInUpPostResult.Ok -> log.add("signed in ${r.user.id} (primary: ${r.user.isPrimaryUser}), go to ${r.redirect.url}")
                is SignInUpPostResult.SignInUpNotAllowed -> log.add("refused: ${r.reason}")
                is SignInUpPostResult.NoEmailGivenByProvider -> log.add("ask for an email")
            }
            try {
                auth.getUser("")
            } catch (e: AuthException) {
                log.add(e.code()) // "EMPTY_FIELD"; `e` is AuthException.EmptyField, with `e.field`
            }
        } finally {
            auth.shutdown() // records delivery acknowledgements
            auth.close() // frees the native handle now rather than at GC
        }
        return log
    }
    // --- README example ends ---

    @Test
    fun `the README example runs`() = runBlocking {
        val dir = Files.createTempDirectory("authcore-kt-readme")
        val log = example(dir.resolve("auth.db").toString())
        dir.toFile().deleteRecursively()
        assertEquals(3, log.size, log.toString())
        assertEquals(true, log[0].startsWith("new user "))
        assertEquals(true, log[1].startsWith("signed in ") && log[1].endsWith("go to /home"), log[1])
        assertFalse(log[1].contains("primary: true"))
        assertEquals("EMPTY_FIELD", log[2])
    }
}
