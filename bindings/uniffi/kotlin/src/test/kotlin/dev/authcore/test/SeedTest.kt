package dev.authcore.test

import dev.authcore.Apis
import dev.authcore.ApisOverride
import dev.authcore.AuthCore
import dev.authcore.Hooks
import dev.authcore.UserContext
import dev.authcore.model.AuthCoreConfig
import dev.authcore.model.GetAuthorisationUrlInput
import dev.authcore.model.GetAuthorisationUrlResult
import dev.authcore.model.ProviderClientConfig
import dev.authcore.model.ProviderConfig
import dev.authcore.model.RedirectUriInfo
import dev.authcore.model.SignInUpPostInput
import dev.authcore.model.SignInUpPostResult
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files

/**
 * Seed 000 §3's pattern in Kotlin: an `apis` override of `signInUpPost` that calls the original and reads
 * `user.id`, `authCodeResponse` (the provider's token response) and `createdNewUser`, through the whole code flow
 * against the test OP (tests/oidc).
 */
class SeedTest {
    private val callback = "http://127.0.0.1:9/callback"

    @Test
    fun seed000PostSignInUpOverrideAgainstTheRealOp() = runBlocking {
        val seen = ArrayList<Triple<String, String, String?>>()
        val override = ApisOverride { original ->
            object : Apis by original {
                override suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext): SignInUpPostResult {
                    val response = original.signInUpPost(input, userContext)
                    if (response is SignInUpPostResult.Ok) {
                        val id = response.user.id
                        // the response from the provider's POST /token
                        val thirdPartyAuthCodeResponse = response.authCodeResponse
                        val kind = if (response.createdNewUser) "sign-up" else "sign-in"
                        seen.add(Triple(kind, id, thirdPartyAuthCodeResponse))
                    }
                    return response
                }
            }
        }
        val config = AuthCoreConfig(
            providers = listOf(
                ProviderConfig(
                    thirdPartyId = "oidc",
                    oidcDiscoveryEndpoint = Peers.base("op"),
                    clients = listOf(ProviderClientConfig(clientId = "web", clientSecret = "web-secret", scope = listOf("openid", "email"))),
                ),
            ),
        )
        val dir = Files.createTempDirectory("authcore-kt-seed")
        val auth = AuthCore.open(dir.resolve("auth.db").toString(), config, Hooks(apis = listOf(override)))
        try {
            val ids = ArrayList<String>()
            repeat(2) {
                val start = auth.getAuthorisationUrl(
                    GetAuthorisationUrlInput(thirdPartyId = "oidc", redirectUriOnProviderDashboard = callback),
                ) as GetAuthorisationUrlResult.Ok
                val back = Peers.drive(mapOf("url" to start.urlWithQueryParams, "login" to "seedkt")) as Map<*, *>
                val query = Json.write(mapOf("code" to back["code"], "state" to back["state"], "iss" to back["iss"]))
                val r = auth.signInUpPost(
                    SignInUpPostInput(
                        thirdPartyId = "oidc",
                        redirectUriInfo = RedirectUriInfo(
                            redirectUriOnProviderDashboard = callback,
                            redirectUriQueryParams = query,
                            pkceCodeVerifier = start.pkceCodeVerifier,
                        ),
                    ),
                )
                ids.add((r as SignInUpPostResult.Ok).user.id)
            }
            assertEquals(listOf("sign-up", "sign-in"), seen.map { it.first })
            assertEquals(ids[0], ids[1])
            assertEquals(ids[0], seen[0].second)
            val tokens = Json.parse(seen[0].third ?: "{}") as Map<*, *>
            assertTrue(tokens["id_token"] is String && tokens["access_token"] is String, "token response: $tokens")
        } finally {
            auth.close()
            dir.toFile().deleteRecursively()
        }
    }
}
