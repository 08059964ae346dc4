// Hand-written (not generated): part of the Kotlin facade. Ship it with the generated authcore.kt.
package dev.authcore

import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.Continuation
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.startCoroutine

/**
 * Kotlin overrides and event handlers over JNI (the native side is `bindings/uniffi/src/jvm_hooks.rs`).
 *
 * [AuthCore.open] turns each hook into a bridge object the engine calls with one JNI upcall on the calling
 * thread; the bridge starts the hook's coroutine right there, so a hook that does not suspend answers within
 * the upcall, and one that suspends (a `delay`, a `withContext(Dispatchers.IO)`) finishes later through
 * `FastPath.complete`. The `original` an override receives calls the layer below with one JNI call.
 * Compared with uniffi's generated callback path (a JNA callback and a `GlobalScope` coroutine per crossing,
 * a JNA call per `original` call), this keeps an override's cost in the microseconds, and it lets any
 * throwable (an `Error` too, which uniffi's callback code does not catch) reach the caller as `HOST_ERROR`.
 */
internal object JvmHooks {
    fun of(hooks: Hooks): Hooks =
        Hooks(
            functions = hooks.functions.map { layer ->
                FfiConverterTypeFunctionsOverride.lift(handle(FastPath.functionsLayer(FunctionsBridge(layer))))
            },
            apis = hooks.apis.map { layer -> FfiConverterTypeApisOverride.lift(handle(FastPath.apisLayer(ApisBridge(layer)))) },
            handlers = hooks.handlers.map {
                EventSubscription(it.name, FfiConverterTypeEventHandler.lift(handle(FastPath.eventHandler(HandlerBridge(it.handler)))))
            },
        )

    private fun handle(h: Long): Long {
        check(h != 0L) { "could not install a Kotlin hook in the native library" }
        return h
    }
}

/** Hook operation indexes, resolved by name once from the native library (`HOOK_OPS` in jvm_hooks.rs). */
@Suppress("ObjectPropertyName")
internal object HookOp {
    private val names: List<String> = jvmHookOps()

    private fun of(name: String): Int {
        val i = names.indexOf(name)
        check(i >= 0) { "the native library has no hook operation '$name' (library and Kotlin from different builds?)" }
        return i
    }

    val functionsApply = of("functionsApply")
    val apisApply = of("apisApply")
    val handle = of("handle")
    val signInUp = of("signInUp")
    val manuallyCreateOrUpdateUser = of("manuallyCreateOrUpdateUser")
    val shouldDoAutomaticAccountLinking = of("shouldDoAutomaticAccountLinking")
    val onAccountLinked = of("onAccountLinked")
    val createPrimaryUser = of("createPrimaryUser")
    val canCreatePrimaryUser = of("canCreatePrimaryUser")
    val linkAccounts = of("linkAccounts")
    val canLinkAccounts = of("canLinkAccounts")
    val unlinkAccount = of("unlinkAccount")
    val deleteUser = of("deleteUser")
    val getUser = of("getUser")
    val listUsersByAccountInfo = of("listUsersByAccountInfo")
    val getUsers = of("getUsers")
    val isEmailVerified = of("isEmailVerified")
    val verifyEmail = of("verifyEmail")
    val unverifyEmail = of("unverifyEmail")
    val createOrUpdateTenant = of("createOrUpdateTenant")
    val deleteTenant = of("deleteTenant")
    val getTenant = of("getTenant")
    val listAllTenants = of("listAllTenants")
    val associateUserToTenant = of("associateUserToTenant")
    val disassociateUserFromTenant = of("disassociateUserFromTenant")
    val createNewSession = of("createNewSession")
    val getSession = of("getSession")
    val revokeSession = of("revokeSession")
    val revokeAllSessionsForUser = of("revokeAllSessionsForUser")
    val getAllSessionHandlesForUser = of("getAllSessionHandlesForUser")
    val signInUpPost = of("signInUpPost")
    val getRedirectionUrl = of("getRedirectionUrl")
}

/** A bridge the engine calls: `invoke(op, args, callId)` (JNI signature `(I[BJ)[B`). Never throws. */
internal abstract class HookBridge {
    fun invoke(op: Int, args: ByteArray, callId: Long): ByteArray =
        try {
            dispatch(op, ByteBuffer.wrap(args), callId)
        } catch (t: Throwable) {
            failureReply(t)
        }

    protected abstract fun dispatch(op: Int, args: ByteBuffer, callId: Long): ByteArray

    companion object {
        private val OK_REPLY = byteArrayOf(OK)
        private val PENDING_REPLY = byteArrayOf(PENDING)

        fun ok(): ByteArray = OK_REPLY

        fun <T> ok(converter: FfiConverter<T, *>, value: T): ByteArray {
            val buf = ByteBuffer.allocate(1 + converter.allocationSize(value).toInt())
            buf.put(OK)
            converter.write(value, buf)
            return if (buf.position() == buf.capacity()) buf.array() else buf.array().copyOf(buf.position())
        }

        fun failureReply(t: Throwable): ByteArray =
            if (t is AuthException) {
                val buf = ByteBuffer.allocate(1 + FfiConverterTypeAuthError.allocationSize(t).toInt())
                buf.put(ERR)
                FfiConverterTypeAuthError.write(t, buf)
                buf.array().copyOf(buf.position())
            } else {
                byteArrayOf(UNEXPECTED) + t.toString().toByteArray(Charsets.UTF_8)
            }

        /**
         * Runs a hook's coroutine on this thread until it finishes or suspends. Finished: its reply. Suspended:
         * `PENDING`, and the reply goes to `FastPath.complete(callId, ...)` when it finishes.
         */
        fun run(callId: Long, block: suspend () -> ByteArray): ByteArray {
            val state = AtomicReference<ByteArray?>(null)
            block.startCoroutine(
                Continuation(EmptyCoroutineContext) { result ->
                    val reply = result.getOrElse { failureReply(it) }
                    if (!state.compareAndSet(null, reply)) FastPath.complete(callId, reply, reply.size)
                },
            )
            return if (state.compareAndSet(null, PENDING_REPLY)) PENDING_REPLY else state.get()!!
        }

        fun str(buf: ByteBuffer) = FfiConverterString.read(buf)
        fun bool(buf: ByteBuffer) = FfiConverterBoolean.read(buf)
        fun uc(buf: ByteBuffer) = ContextHandles.adopt(buf.getLong())
    }
}

/** One Kotlin override layer of the recipe functions. */
internal class FunctionsBridge(private val layer: FunctionsOverride) : HookBridge() {
    @Volatile private var host: Functions? = null

    private fun f(): Functions = host ?: throw IllegalStateException("override layer used before apply")

    override fun dispatch(op: Int, args: ByteBuffer, callId: Long): ByteArray {
        val a = args
        return when (op) {
            HookOp.functionsApply -> {
                host = layer.apply(OriginalFunctions(a.getLong()))
                ok()
            }
            HookOp.signInUp -> {
                val input = FfiConverterTypeSignInUpInput.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeSignInUpResult, f().signInUp(input, ctx)) }
            }
            HookOp.manuallyCreateOrUpdateUser -> {
                val input = FfiConverterTypeSignInUpInput.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeManuallyCreateOrUpdateUserResult, f().manuallyCreateOrUpdateUser(input, ctx)) }
            }
            HookOp.shouldDoAutomaticAccountLinking -> {
                val info = FfiConverterTypeNewAccountInfo.read(a)
                val user = FfiConverterOptionalTypeUser.read(a)
                val session = FfiConverterOptionalTypeSession.read(a)
                val tenantId = str(a)
                val ctx = uc(a)
                run(callId) {
                    ok(FfiConverterTypeShouldAutomaticallyLink, f().shouldDoAutomaticAccountLinking(info, user, session, tenantId, ctx))
                }
            }
            HookOp.onAccountLinked -> {
                val user = FfiConverterTypeUser.read(a)
                val method = FfiConverterTypeLoginMethod.read(a)
                val ctx = uc(a)
                run(callId) {
                    f().onAccountLinked(user, method, ctx)
                    ok()
                }
            }
            HookOp.createPrimaryUser -> {
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeCreatePrimaryUserResult, f().createPrimaryUser(id, ctx)) }
            }
            HookOp.canCreatePrimaryUser -> {
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeCreatePrimaryUserResult, f().canCreatePrimaryUser(id, ctx)) }
            }
            HookOp.linkAccounts -> {
                val id = str(a)
                val primary = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeLinkAccountsResult, f().linkAccounts(id, primary, ctx)) }
            }
            HookOp.canLinkAccounts -> {
                val id = str(a)
                val primary = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeLinkAccountsResult, f().canLinkAccounts(id, primary, ctx)) }
            }
            HookOp.unlinkAccount -> {
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeUnlinkAccountResult, f().unlinkAccount(id, ctx)) }
            }
            HookOp.deleteUser -> {
                val id = str(a)
                val all = bool(a)
                val ctx = uc(a)
                run(callId) {
                    f().deleteUser(id, all, ctx)
                    ok()
                }
            }
            HookOp.getUser -> {
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterOptionalTypeUser, f().getUser(id, ctx)) }
            }
            HookOp.listUsersByAccountInfo -> {
                val tenantId = str(a)
                val info = FfiConverterTypeAccountInfo.read(a)
                val union = bool(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterSequenceTypeUser, f().listUsersByAccountInfo(tenantId, info, union, ctx)) }
            }
            HookOp.getUsers -> {
                val input = FfiConverterTypeGetUsersInput.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeGetUsersResult, f().getUsers(input, ctx)) }
            }
            HookOp.isEmailVerified -> {
                val id = str(a)
                val email = FfiConverterOptionalString.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterBoolean, f().isEmailVerified(id, email, ctx)) }
            }
            HookOp.verifyEmail -> {
                val input = FfiConverterTypeVerifyEmailInput.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeVerifyEmailResult, f().verifyEmail(input, ctx)) }
            }
            HookOp.unverifyEmail -> {
                val id = str(a)
                val email = FfiConverterOptionalString.read(a)
                val ctx = uc(a)
                run(callId) {
                    f().unverifyEmail(id, email, ctx)
                    ok()
                }
            }
            HookOp.createOrUpdateTenant -> {
                val tenantId = str(a)
                val config = FfiConverterTypeTenantConfigInput.read(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeCreateOrUpdateTenantResult, f().createOrUpdateTenant(tenantId, config, ctx)) }
            }
            HookOp.deleteTenant -> {
                val tenantId = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeDeleteTenantResult, f().deleteTenant(tenantId, ctx)) }
            }
            HookOp.getTenant -> {
                val tenantId = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterOptionalTypeTenant, f().getTenant(tenantId, ctx)) }
            }
            HookOp.listAllTenants -> {
                val ctx = uc(a)
                run(callId) { ok(FfiConverterSequenceTypeTenant, f().listAllTenants(ctx)) }
            }
            HookOp.associateUserToTenant -> {
                val tenantId = str(a)
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeAssociateUserToTenantResult, f().associateUserToTenant(tenantId, id, ctx)) }
            }
            HookOp.disassociateUserFromTenant -> {
                val tenantId = str(a)
                val id = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeDisassociateUserFromTenantResult, f().disassociateUserFromTenant(tenantId, id, ctx)) }
            }
            HookOp.createNewSession -> {
                val tenantId = str(a)
                val id = str(a)
                val payload = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeCreateNewSessionResult, f().createNewSession(tenantId, id, payload, ctx)) }
            }
            HookOp.getSession -> {
                val token = str(a)
                val tenantId = FfiConverterOptionalString.read(a)
                val anyTenant = bool(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterTypeGetSessionResult, f().getSession(token, tenantId, anyTenant, ctx)) }
            }
            HookOp.revokeSession -> {
                val handle = str(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterBoolean, f().revokeSession(handle, ctx)) }
            }
            HookOp.revokeAllSessionsForUser -> {
                val id = str(a)
                val linked = bool(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterSequenceString, f().revokeAllSessionsForUser(id, linked, ctx)) }
            }
            HookOp.getAllSessionHandlesForUser -> {
                val id = str(a)
                val linked = bool(a)
                val ctx = uc(a)
                run(callId) { ok(FfiConverterSequenceString, f().getAllSessionHandlesForUser(id, linked, ctx)) }
            }
            else -> throw IllegalArgumentException("no Functions operation $op")
        }
    }
}

/** One Kotlin override layer of the API functions. */
internal class ApisBridge(private val layer: ApisOverride) : HookBridge() {
    @Volatile private var host: Apis? = null

    private fun f(): Apis = host ?: throw IllegalStateException("override layer used before apply")

    override fun dispatch(op: Int, args: ByteBuffer, callId: Long): ByteArray =
        when (op) {
            HookOp.apisApply -> {
                host = layer.apply(OriginalApis(args.getLong()))
                ok()
            }
            HookOp.signInUpPost -> {
                val input = FfiConverterTypeSignInUpPostInput.read(args)
                val ctx = uc(args)
                run(callId) { ok(FfiConverterTypeSignInUpPostResult, f().signInUpPost(input, ctx)) }
            }
            HookOp.getRedirectionUrl -> {
                val context = FfiConverterTypeRedirectContext.read(args)
                val ctx = uc(args)
                run(callId) { ok(FfiConverterOptionalString, f().getRedirectionUrl(context, ctx)) }
            }
            else -> throw IllegalArgumentException("no Apis operation $op")
        }
}

/** One Kotlin event handler. */
internal class HandlerBridge(private val handler: EventHandler) : HookBridge() {
    override fun dispatch(op: Int, args: ByteBuffer, callId: Long): ByteArray {
        check(op == HookOp.handle) { "no EventHandler operation $op" }
        val event = FfiConverterTypeEvent.read(args)
        return run(callId) {
            handler.handle(event)
            ok()
        }
    }
}

/**
 * Native `Functions`/`Apis` called over JNI: the layer below a Kotlin override (its `original`), or the engine's
 * final objects behind [AuthCore]. Owns a native pointer, released on [close] once the calls in flight are done
 * (later calls throw [IllegalStateException]) or by the cleaner when collected.
 */
internal abstract class NativeOriginal(private val pointer: Long) : AutoCloseable {
    private val cleanable = UniffiLib.CLEANER.register(this, Release(pointer))
    private val calls = AtomicLong(1)
    private val closed = AtomicBoolean(false)

    protected suspend fun <T> call(op: Int, result: FfiConverter<T, *>?, args: Args.() -> Unit): T {
        val written = Args().apply(args)
        val reply = try {
            withPointer { FastPath.callOriginal(it, op, written.array(), written.length()) }
        } finally {
            written.releaseBorrowed()
        }
        return finish(reply, result)
    }

    private inline fun <R> withPointer(block: (Long) -> R): R {
        do {
            val c = calls.get()
            check(c != 0L) { "AuthCore is closed" }
        } while (!calls.compareAndSet(c, c + 1))
        try {
            return block(pointer)
        } finally {
            if (calls.decrementAndGet() == 0L) cleanable.clean()
        }
    }

    override fun close() {
        if (closed.compareAndSet(false, true) && calls.decrementAndGet() == 0L) cleanable.clean()
    }

    /** Runs once: on [close] after the last call, or by the cleaner. Not a closure over `this`. */
    private class Release(private val pointer: Long) : Runnable {
        override fun run() = FastPath.releaseOriginal(pointer)
    }
}

/** Recipe functions over JNI: an override's `original`, or the engine's final functions behind [AuthCore]. */
internal class OriginalFunctions(pointer: Long) : NativeOriginal(pointer), Functions {
    override suspend fun signInUp(input: SignInUpInput, userContext: UserContext): SignInUpResult =
        call(HookOp.signInUp, FfiConverterTypeSignInUpResult) { put(FfiConverterTypeSignInUpInput, input).ctx(userContext) }

    override suspend fun manuallyCreateOrUpdateUser(input: SignInUpInput, userContext: UserContext): ManuallyCreateOrUpdateUserResult =
        call(HookOp.manuallyCreateOrUpdateUser, FfiConverterTypeManuallyCreateOrUpdateUserResult) {
            put(FfiConverterTypeSignInUpInput, input).ctx(userContext)
        }

    override suspend fun shouldDoAutomaticAccountLinking(
        newAccountInfo: NewAccountInfo,
        user: User?,
        session: Session?,
        tenantId: String,
        userContext: UserContext,
    ): ShouldAutomaticallyLink =
        call(HookOp.shouldDoAutomaticAccountLinking, FfiConverterTypeShouldAutomaticallyLink) {
            put(FfiConverterTypeNewAccountInfo, newAccountInfo).put(FfiConverterOptionalTypeUser, user)
                .put(FfiConverterOptionalTypeSession, session).str(tenantId).ctx(userContext)
        }

    override suspend fun onAccountLinked(user: User, newAccount: LoginMethod, userContext: UserContext): Unit =
        call<Unit>(HookOp.onAccountLinked, null) {
            put(FfiConverterTypeUser, user).put(FfiConverterTypeLoginMethod, newAccount).ctx(userContext)
        }

    override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult =
        call(HookOp.createPrimaryUser, FfiConverterTypeCreatePrimaryUserResult) { str(recipeUserId).ctx(userContext) }

    override suspend fun canCreatePrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult =
        call(HookOp.canCreatePrimaryUser, FfiConverterTypeCreatePrimaryUserResult) { str(recipeUserId).ctx(userContext) }

    override suspend fun linkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext): LinkAccountsResult =
        call(HookOp.linkAccounts, FfiConverterTypeLinkAccountsResult) { str(recipeUserId).str(primaryUserId).ctx(userContext) }

    override suspend fun canLinkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext): LinkAccountsResult =
        call(HookOp.canLinkAccounts, FfiConverterTypeLinkAccountsResult) { str(recipeUserId).str(primaryUserId).ctx(userContext) }

    override suspend fun unlinkAccount(recipeUserId: String, userContext: UserContext): UnlinkAccountResult =
        call(HookOp.unlinkAccount, FfiConverterTypeUnlinkAccountResult) { str(recipeUserId).ctx(userContext) }

    override suspend fun deleteUser(userId: String, removeAllLinkedAccounts: Boolean, userContext: UserContext): Unit =
        call<Unit>(HookOp.deleteUser, null) { str(userId).bool(removeAllLinkedAccounts).ctx(userContext) }

    override suspend fun getUser(userId: String, userContext: UserContext): User? =
        call(HookOp.getUser, FfiConverterOptionalTypeUser) { str(userId).ctx(userContext) }

    override suspend fun listUsersByAccountInfo(
        tenantId: String,
        accountInfo: AccountInfo,
        doUnionOfAccountInfo: Boolean,
        userContext: UserContext,
    ): List<User> =
        call(HookOp.listUsersByAccountInfo, FfiConverterSequenceTypeUser) {
            str(tenantId).put(FfiConverterTypeAccountInfo, accountInfo).bool(doUnionOfAccountInfo).ctx(userContext)
        }

    override suspend fun getUsers(input: GetUsersInput, userContext: UserContext): GetUsersResult =
        call(HookOp.getUsers, FfiConverterTypeGetUsersResult) { put(FfiConverterTypeGetUsersInput, input).ctx(userContext) }

    override suspend fun isEmailVerified(recipeUserId: String, email: String?, userContext: UserContext): Boolean =
        call(HookOp.isEmailVerified, FfiConverterBoolean) { str(recipeUserId).put(FfiConverterOptionalString, email).ctx(userContext) }

    override suspend fun verifyEmail(input: VerifyEmailInput, userContext: UserContext): VerifyEmailResult =
        call(HookOp.verifyEmail, FfiConverterTypeVerifyEmailResult) { put(FfiConverterTypeVerifyEmailInput, input).ctx(userContext) }

    override suspend fun unverifyEmail(recipeUserId: String, email: String?, userContext: UserContext): Unit =
        call<Unit>(HookOp.unverifyEmail, null) { str(recipeUserId).put(FfiConverterOptionalString, email).ctx(userContext) }

    override suspend fun createOrUpdateTenant(tenantId: String, config: TenantConfigInput, userContext: UserContext): CreateOrUpdateTenantResult =
        call(HookOp.createOrUpdateTenant, FfiConverterTypeCreateOrUpdateTenantResult) {
            str(tenantId).put(FfiConverterTypeTenantConfigInput, config).ctx(userContext)
        }

    override suspend fun deleteTenant(tenantId: String, userContext: UserContext): DeleteTenantResult =
        call(HookOp.deleteTenant, FfiConverterTypeDeleteTenantResult) { str(tenantId).ctx(userContext) }

    override suspend fun getTenant(tenantId: String, userContext: UserContext): Tenant? =
        call(HookOp.getTenant, FfiConverterOptionalTypeTenant) { str(tenantId).ctx(userContext) }

    override suspend fun listAllTenants(userContext: UserContext): List<Tenant> =
        call(HookOp.listAllTenants, FfiConverterSequenceTypeTenant) { ctx(userContext) }

    override suspend fun associateUserToTenant(tenantId: String, recipeUserId: String, userContext: UserContext): AssociateUserToTenantResult =
        call(HookOp.associateUserToTenant, FfiConverterTypeAssociateUserToTenantResult) { str(tenantId).str(recipeUserId).ctx(userContext) }

    override suspend fun disassociateUserFromTenant(
        tenantId: String,
        recipeUserId: String,
        userContext: UserContext,
    ): DisassociateUserFromTenantResult =
        call(HookOp.disassociateUserFromTenant, FfiConverterTypeDisassociateUserFromTenantResult) {
            str(tenantId).str(recipeUserId).ctx(userContext)
        }

    override suspend fun createNewSession(
        tenantId: String,
        recipeUserId: String,
        accessTokenPayloadJson: String,
        userContext: UserContext,
    ): CreateNewSessionResult =
        call(HookOp.createNewSession, FfiConverterTypeCreateNewSessionResult) {
            str(tenantId).str(recipeUserId).str(accessTokenPayloadJson).ctx(userContext)
        }

    override suspend fun getSession(accessToken: String, tenantId: String?, anyTenant: Boolean, userContext: UserContext): GetSessionResult =
        call(HookOp.getSession, FfiConverterTypeGetSessionResult) {
            str(accessToken).put(FfiConverterOptionalString, tenantId).bool(anyTenant).ctx(userContext)
        }

    override suspend fun revokeSession(sessionHandle: String, userContext: UserContext): Boolean =
        call(HookOp.revokeSession, FfiConverterBoolean) { str(sessionHandle).ctx(userContext) }

    override suspend fun revokeAllSessionsForUser(userId: String, revokeSessionsForLinkedAccounts: Boolean, userContext: UserContext): List<String> =
        call(HookOp.revokeAllSessionsForUser, FfiConverterSequenceString) {
            str(userId).bool(revokeSessionsForLinkedAccounts).ctx(userContext)
        }

    override suspend fun getAllSessionHandlesForUser(
        userId: String,
        fetchSessionsForAllLinkedAccounts: Boolean,
        userContext: UserContext,
    ): List<String> =
        call(HookOp.getAllSessionHandlesForUser, FfiConverterSequenceString) {
            str(userId).bool(fetchSessionsForAllLinkedAccounts).ctx(userContext)
        }
}

/** API functions over JNI: an override's `original`, or the engine's final API functions behind [AuthCore]. */
internal class OriginalApis(pointer: Long) : NativeOriginal(pointer), Apis {
    override suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext): SignInUpPostResult =
        call(HookOp.signInUpPost, FfiConverterTypeSignInUpPostResult) { put(FfiConverterTypeSignInUpPostInput, input).ctx(userContext) }

    override suspend fun getRedirectionUrl(context: RedirectContext, userContext: UserContext): String? =
        call(HookOp.getRedirectionUrl, FfiConverterOptionalString) { put(FfiConverterTypeRedirectContext, context).ctx(userContext) }
}
