// Hand-written (not generated): part of the Kotlin facade. Ship it with the generated authcore.kt.
package dev.authcore

/**
 * Makes every throwable from host code reach the engine as an exception.
 *
 * uniffi's generated callback code catches `Exception` only: a `kotlin.Error` (an `AssertionError`, a
 * `StackOverflowError`, a `NotImplementedError` from `TODO()`) thrown by an override or an event handler escapes
 * the callback and the engine call that waits for it never finishes. [AuthCore.open] therefore wraps every
 * hook in these classes, which rethrow such an error as [HostThrowable]: the caller gets
 * `AuthException.Host` (`HOST_ERROR`) with the error's text, as for any other exception. Exceptions, and
 * `AuthException`s in particular, pass through unchanged.
 */
class HostThrowable(val original: Throwable) : RuntimeException(original.toString(), original) {
    override fun toString(): String = original.toString()
}

internal inline fun <T> guarded(block: () -> T): T =
    try {
        block()
    } catch (e: Exception) {
        throw e
    } catch (e: Throwable) {
        throw HostThrowable(e)
    }

internal object HostGuard {
    fun hooks(hooks: Hooks): Hooks =
        Hooks(
            functions = hooks.functions.map { layer ->
                object : FunctionsOverride {
                    override fun apply(original: Functions): Functions = GuardedFunctions(guarded { layer.apply(original) })
                }
            },
            apis = hooks.apis.map { layer ->
                object : ApisOverride {
                    override fun apply(original: Apis): Apis = GuardedApis(guarded { layer.apply(original) })
                }
            },
            handlers = hooks.handlers.map { EventSubscription(it.name, GuardedHandler(it.handler)) },
        )
}

internal class GuardedHandler(private val host: EventHandler) : EventHandler {
    override suspend fun handle(event: Event) = guarded { host.handle(event) }
}

internal class GuardedApis(private val host: Apis) : Apis {
    override suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext) =
        guarded { host.signInUpPost(input, userContext) }

    override suspend fun getRedirectionUrl(context: RedirectContext, userContext: UserContext) =
        guarded { host.getRedirectionUrl(context, userContext) }
}

internal class GuardedFunctions(private val host: Functions) : Functions {
    override suspend fun signInUp(input: SignInUpInput, userContext: UserContext) =
        guarded { host.signInUp(input, userContext) }

    override suspend fun manuallyCreateOrUpdateUser(input: SignInUpInput, userContext: UserContext) =
        guarded { host.manuallyCreateOrUpdateUser(input, userContext) }

    override suspend fun shouldDoAutomaticAccountLinking(
        newAccountInfo: NewAccountInfo,
        user: User?,
        session: Session?,
        tenantId: String,
        userContext: UserContext,
    ) = guarded { host.shouldDoAutomaticAccountLinking(newAccountInfo, user, session, tenantId, userContext) }

    override suspend fun onAccountLinked(user: User, newAccount: LoginMethod, userContext: UserContext) =
        guarded { host.onAccountLinked(user, newAccount, userContext) }

    override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext) =
        guarded { host.createPrimaryUser(recipeUserId, userContext) }

    override suspend fun canCreatePrimaryUser(recipeUserId: String, userContext: UserContext) =
        guarded { host.canCreatePrimaryUser(recipeUserId, userContext) }

    override suspend fun linkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext) =
        guarded { host.linkAccounts(recipeUserId, primaryUserId, userContext) }

    override suspend fun canLinkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext) =
        guarded { host.canLinkAccounts(recipeUserId, primaryUserId, userContext) }

    override suspend fun unlinkAccount(recipeUserId: String, userContext: UserContext) =
        guarded { host.unlinkAccount(recipeUserId, userContext) }

    override suspend fun deleteUser(userId: String, removeAllLinkedAccounts: Boolean, userContext: UserContext) =
        guarded { host.deleteUser(userId, removeAllLinkedAccounts, userContext) }

    override suspend fun getUser(userId: String, userContext: UserContext) = guarded { host.getUser(userId, userContext) }

    override suspend fun listUsersByAccountInfo(
        tenantId: String,
        accountInfo: AccountInfo,
        doUnionOfAccountInfo: Boolean,
        userContext: UserContext,
    ) = guarded { host.listUsersByAccountInfo(tenantId, accountInfo, doUnionOfAccountInfo, userContext) }

    override suspend fun getUsers(input: GetUsersInput, userContext: UserContext) = guarded { host.getUsers(input, userContext) }

    override suspend fun isEmailVerified(recipeUserId: String, email: String?, userContext: UserContext) =
        guarded { host.isEmailVerified(recipeUserId, email, userContext) }

    override suspend fun verifyEmail(input: VerifyEmailInput, userContext: UserContext) =
        guarded { host.verifyEmail(input, userContext) }

    override suspend fun unverifyEmail(recipeUserId: String, email: String?, userContext: UserContext) =
        guarded { host.unverifyEmail(recipeUserId, email, userContext) }

    override suspend fun createOrUpdateTenant(tenantId: String, config: TenantConfigInput, userContext: UserContext) =
        guarded { host.createOrUpdateTenant(tenantId, config, userContext) }

    override suspend fun deleteTenant(tenantId: String, userContext: UserContext) = guarded { host.deleteTenant(tenantId, userContext) }

    override suspend fun getTenant(tenantId: String, userContext: UserContext) = guarded { host.getTenant(tenantId, userContext) }

    override suspend fun listAllTenants(userContext: UserContext) = guarded { host.listAllTenants(userContext) }

    override suspend fun associateUserToTenant(tenantId: String, recipeUserId: String, userContext: UserContext) =
        guarded { host.associateUserToTenant(tenantId, recipeUserId, userContext) }

    override suspend fun disassociateUserFromTenant(tenantId: String, recipeUserId: String, userContext: UserContext) =
        guarded { host.disassociateUserFromTenant(tenantId, recipeUserId, userContext) }

    override suspend fun createNewSession(
        tenantId: String,
        recipeUserId: String,
        accessTokenPayloadJson: String,
        userContext: UserContext,
    ) = guarded { host.createNewSession(tenantId, recipeUserId, accessTokenPayloadJson, userContext) }

    override suspend fun getSession(accessToken: String, userContext: UserContext) = guarded { host.getSession(accessToken, userContext) }

    override suspend fun revokeSession(sessionHandle: String, userContext: UserContext) =
        guarded { host.revokeSession(sessionHandle, userContext) }

    override suspend fun revokeAllSessionsForUser(userId: String, revokeSessionsForLinkedAccounts: Boolean, userContext: UserContext) =
        guarded { host.revokeAllSessionsForUser(userId, revokeSessionsForLinkedAccounts, userContext) }

    override suspend fun getAllSessionHandlesForUser(
        userId: String,
        fetchSessionsForAllLinkedAccounts: Boolean,
        userContext: UserContext,
    ) = guarded { host.getAllSessionHandlesForUser(userId, fetchSessionsForAllLinkedAccounts, userContext) }
}
