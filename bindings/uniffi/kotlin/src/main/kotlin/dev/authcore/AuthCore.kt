// Hand-written (not generated): Kotlin's public `AuthCore`. Ship it with the generated authcore.kt.
package dev.authcore

import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import kotlin.coroutines.cancellation.CancellationException

/**
 * The engine handle. Open it with `AuthCore.open(path, config, hooks)`; every method runs the overrides.
 *
 * Same methods, arguments and results as the generated [NativeAuthCore], whose calls go through uniffi's JNA
 * path (about 50 µs each on the JVM). This class makes each call through one JNI call instead
 * (`bindings/uniffi/src/jvm_fast_path.rs`), reusing uniffi's serialisation for arguments and results and the
 * native object's own methods, so both paths behave identically. A call that waits on Kotlin code (an
 * override or an event handler) finishes through uniffi's suspend machinery, cancellation included.
 *
 * Thread-safe. [close] releases the engine once the calls in flight are done; an unreachable, unclosed
 * `AuthCore` is released by the cleaner.
 */
class AuthCore private constructor(
    /** The generated object behind this one (uniffi's own call path). */
    val native: NativeAuthCore,
) : AutoCloseable {
    private val handle: Long = FastPath.attach(native.uniffiCloneHandle())
    private val cleanable = UniffiLib.CLEANER.register(this, Release(handle))
    private val callCounter = AtomicLong(1)
    private val closed = AtomicBoolean(false)

    init {
        check(handle != 0L) { "could not attach to the native AuthCore" }
    }

    /** The final (overridden) recipe functions, as one object. */
    fun functions(): Functions = native.functions()

    /** The final (overridden) API functions, as one object. */
    fun apis(): Apis = native.apis()

    suspend fun signInUp(input: SignInUpInput, userContext: UserContext? = null): SignInUpResult =
        call(Op.signInUp, FfiConverterTypeSignInUpResult) { put(FfiConverterTypeSignInUpInput, input).ctx(userContext) }

    suspend fun manuallyCreateOrUpdateUser(input: SignInUpInput, userContext: UserContext? = null): ManuallyCreateOrUpdateUserResult =
        call(Op.manuallyCreateOrUpdateUser, FfiConverterTypeManuallyCreateOrUpdateUserResult) {
            put(FfiConverterTypeSignInUpInput, input).ctx(userContext)
        }

    /** The API flow (`signInUpPOST`): sign-in/up with the policy checks, a session and the redirect decision. */
    suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext? = null): SignInUpPostResult =
        call(Op.signInUpPost, FfiConverterTypeSignInUpPostResult) { put(FfiConverterTypeSignInUpPostInput, input).ctx(userContext) }

    suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext? = null): CreatePrimaryUserResult =
        call(Op.createPrimaryUser, FfiConverterTypeCreatePrimaryUserResult) { str(recipeUserId).ctx(userContext) }

    suspend fun canCreatePrimaryUser(recipeUserId: String, userContext: UserContext? = null): CreatePrimaryUserResult =
        call(Op.canCreatePrimaryUser, FfiConverterTypeCreatePrimaryUserResult) { str(recipeUserId).ctx(userContext) }

    suspend fun linkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext? = null): LinkAccountsResult =
        call(Op.linkAccounts, FfiConverterTypeLinkAccountsResult) { str(recipeUserId).str(primaryUserId).ctx(userContext) }

    suspend fun canLinkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext? = null): LinkAccountsResult =
        call(Op.canLinkAccounts, FfiConverterTypeLinkAccountsResult) { str(recipeUserId).str(primaryUserId).ctx(userContext) }

    suspend fun unlinkAccount(recipeUserId: String, userContext: UserContext? = null): UnlinkAccountResult =
        call(Op.unlinkAccount, FfiConverterTypeUnlinkAccountResult) { str(recipeUserId).ctx(userContext) }

    suspend fun deleteUser(userId: String, removeAllLinkedAccounts: Boolean = true, userContext: UserContext? = null): Unit =
        call<Unit>(Op.deleteUser, null) { str(userId).bool(removeAllLinkedAccounts).ctx(userContext) }

    /** The user with this id (any member's recipe user id or the primary id), or null. */
    suspend fun getUser(userId: String, userContext: UserContext? = null): User? =
        call(Op.getUser, FfiConverterOptionalTypeUser) { str(userId).ctx(userContext) }

    suspend fun listUsersByAccountInfo(
        tenantId: String,
        accountInfo: AccountInfo,
        doUnionOfAccountInfo: Boolean = false,
        userContext: UserContext? = null,
    ): List<User> =
        call(Op.listUsersByAccountInfo, FfiConverterSequenceTypeUser) {
            str(tenantId).put(FfiConverterTypeAccountInfo, accountInfo).bool(doUnionOfAccountInfo).ctx(userContext)
        }

    suspend fun getUsers(input: GetUsersInput = GetUsersInput(), userContext: UserContext? = null): GetUsersResult =
        call(Op.getUsers, FfiConverterTypeGetUsersResult) { put(FfiConverterTypeGetUsersInput, input).ctx(userContext) }

    suspend fun isEmailVerified(recipeUserId: String, email: String? = null, userContext: UserContext? = null): Boolean =
        call(Op.isEmailVerified, FfiConverterBoolean) { str(recipeUserId).put(FfiConverterOptionalString, email).ctx(userContext) }

    suspend fun verifyEmail(input: VerifyEmailInput, userContext: UserContext? = null): VerifyEmailResult =
        call(Op.verifyEmail, FfiConverterTypeVerifyEmailResult) { put(FfiConverterTypeVerifyEmailInput, input).ctx(userContext) }

    suspend fun unverifyEmail(recipeUserId: String, email: String? = null, userContext: UserContext? = null): Unit =
        call<Unit>(Op.unverifyEmail, null) { str(recipeUserId).put(FfiConverterOptionalString, email).ctx(userContext) }

    suspend fun createOrUpdateTenant(
        tenantId: String,
        config: TenantConfigInput = TenantConfigInput(),
        userContext: UserContext? = null,
    ): CreateOrUpdateTenantResult =
        call(Op.createOrUpdateTenant, FfiConverterTypeCreateOrUpdateTenantResult) {
            str(tenantId).put(FfiConverterTypeTenantConfigInput, config).ctx(userContext)
        }

    suspend fun deleteTenant(tenantId: String, userContext: UserContext? = null): DeleteTenantResult =
        call(Op.deleteTenant, FfiConverterTypeDeleteTenantResult) { str(tenantId).ctx(userContext) }

    suspend fun getTenant(tenantId: String, userContext: UserContext? = null): Tenant? =
        call(Op.getTenant, FfiConverterOptionalTypeTenant) { str(tenantId).ctx(userContext) }

    suspend fun listAllTenants(userContext: UserContext? = null): List<Tenant> =
        call(Op.listAllTenants, FfiConverterSequenceTypeTenant) { ctx(userContext) }

    suspend fun associateUserToTenant(tenantId: String, recipeUserId: String, userContext: UserContext? = null): AssociateUserToTenantResult =
        call(Op.associateUserToTenant, FfiConverterTypeAssociateUserToTenantResult) { str(tenantId).str(recipeUserId).ctx(userContext) }

    suspend fun disassociateUserFromTenant(
        tenantId: String,
        recipeUserId: String,
        userContext: UserContext? = null,
    ): DisassociateUserFromTenantResult =
        call(Op.disassociateUserFromTenant, FfiConverterTypeDisassociateUserFromTenantResult) {
            str(tenantId).str(recipeUserId).ctx(userContext)
        }

    /** `accessTokenPayloadJson`: a JSON object as text. */
    suspend fun createNewSession(
        tenantId: String,
        recipeUserId: String,
        accessTokenPayloadJson: String = "{}",
        userContext: UserContext? = null,
    ): CreateNewSessionResult =
        call(Op.createNewSession, FfiConverterTypeCreateNewSessionResult) {
            str(tenantId).str(recipeUserId).str(accessTokenPayloadJson).ctx(userContext)
        }

    suspend fun getSession(accessToken: String, userContext: UserContext? = null): GetSessionResult =
        call(Op.getSession, FfiConverterTypeGetSessionResult) { str(accessToken).ctx(userContext) }

    suspend fun revokeSession(sessionHandle: String, userContext: UserContext? = null): Boolean =
        call(Op.revokeSession, FfiConverterBoolean) { str(sessionHandle).ctx(userContext) }

    suspend fun revokeAllSessionsForUser(
        userId: String,
        revokeSessionsForLinkedAccounts: Boolean = true,
        userContext: UserContext? = null,
    ): List<String> =
        call(Op.revokeAllSessionsForUser, FfiConverterSequenceString) {
            str(userId).bool(revokeSessionsForLinkedAccounts).ctx(userContext)
        }

    suspend fun getAllSessionHandlesForUser(
        userId: String,
        fetchSessionsForAllLinkedAccounts: Boolean = true,
        userContext: UserContext? = null,
    ): List<String> =
        call(Op.getAllSessionHandlesForUser, FfiConverterSequenceString) {
            str(userId).bool(fetchSessionsForAllLinkedAccounts).ctx(userContext)
        }

    /** Redelivers events whose delivery failed or that a crashed run left pending. */
    suspend fun deliverPendingEvents(): DeliveryReport = call(Op.deliverPendingEvents, FfiConverterTypeDeliveryReport) {}

    /** The audit log: past events by user, tenant and time, oldest first. */
    fun listEvents(input: ListEventsInput = ListEventsInput()): ListEventsResult = native.listEvents(input)

    /** Records pending delivery acknowledgements. Call before the process exits. */
    fun shutdown() = native.shutdown()

    /** Releases the engine once the calls in flight are done. Later calls throw [IllegalStateException]. */
    override fun close() {
        if (closed.compareAndSet(false, true)) {
            if (callCounter.decrementAndGet() == 0L) cleanable.clean()
            native.close()
        }
    }

    private suspend fun <T> call(op: Int, result: FfiConverter<T, *>?, args: Args.() -> Unit): T {
        val written = Args().apply(args)
        val reply = try {
            withHandle { FastPath.call(it, op, written.array(), written.length()) }
        } finally {
            written.releaseBorrowed()
        }
        return finish(reply, result)
    }

    private inline fun <R> withHandle(block: (Long) -> R): R {
        do {
            val c = callCounter.get()
            check(c != 0L) { "AuthCore is closed" }
        } while (!callCounter.compareAndSet(c, c + 1))
        try {
            return block(handle)
        } finally {
            if (callCounter.decrementAndGet() == 0L) cleanable.clean()
        }
    }

    /** Runs once: on [close] after the last call, or by the cleaner. Not a closure over `this`. */
    private class Release(private val handle: Long) : Runnable {
        override fun run() = FastPath.release(handle)
    }

    companion object {
        /**
         * Opens (or creates) the SQLite database at `path`, installs the hooks, applies event retention and
         * redelivers events a previous run left pending. The hooks are installed over JNI ([JvmHooks]): the engine
         * calls them on the calling thread, and any throwable they throw (an `Error` too) reaches the caller as
         * `AuthException.Host` (`HOST_ERROR`), an `AuthException` as itself.
         */
        suspend fun open(path: String, config: AuthCoreConfig = AuthCoreConfig(), hooks: Hooks = Hooks()): AuthCore =
            AuthCore(NativeAuthCore.open(path, config, JvmHooks.of(hooks)))
    }
}

internal const val OK: Byte = 0
internal const val ERR: Byte = 1
internal const val PENDING: Byte = 2
internal const val UNEXPECTED: Byte = 4

/**
 * Turns a native reply into the result: `OK` + value, `ERR` + `AuthError` (thrown), `PENDING` + token (the call
 * waits on Kotlin code: finished through uniffi's suspend machinery, `FastPath.discard` if cancelled first),
 * anything else is a binding fault ([InternalException]).
 */
internal suspend fun <T> finish(first: ByteArray, result: FfiConverter<T, *>?): T {
    var reply = first
    if (reply[0] == PENDING) {
        val token = ByteBuffer.wrap(reply, 1, 8).getLong()
        reply = try {
            fastPathResume(token.toULong())
        } catch (e: CancellationException) {
            FastPath.discard(token)
            throw e
        }
    }
    val buf = ByteBuffer.wrap(reply, 1, reply.size - 1)
    when (reply[0]) {
        OK -> {
            @Suppress("UNCHECKED_CAST")
            return if (result == null) Unit as T else result.read(buf)
        }
        ERR -> throw FfiConverterTypeAuthError.read(buf)
        else -> throw InternalException(String(reply, 1, reply.size - 1, Charsets.UTF_8))
    }
}

/** Arguments in uniffi's serialisation, in the order the native operation reads them. */
internal class Args {
    private var buf: ByteBuffer = ByteBuffer.allocate(128)

    private fun ensure(need: Int) {
        if (buf.remaining() < need) {
            val bigger = ByteBuffer.allocate(maxOf(buf.capacity() * 2, buf.position() + need))
            buf.flip()
            bigger.put(buf)
            buf = bigger
        }
    }

    fun <T> put(converter: FfiConverter<T, *>, value: T): Args {
        ensure(converter.allocationSize(value).toInt())
        converter.write(value, buf)
        return this
    }

    private var borrowed: UserContext? = null

    fun str(value: String) = put(FfiConverterString, value)
    fun bool(value: Boolean) = put(FfiConverterBoolean, value)

    /** A borrowed handle (tag 2) when [ContextHandles] works, uniffi's own encoding otherwise. */
    fun ctx(value: UserContext?): Args {
        if (value == null || !ContextHandles.available) return put(FfiConverterOptionalTypeUserContext, value)
        val handle = ContextHandles.acquire(value)
        borrowed = value
        ensure(9)
        buf.put(2).putLong(handle)
        return this
    }

    /** After the JNI call: the native side holds its own reference by now. */
    fun releaseBorrowed() {
        borrowed?.let { ContextHandles.release(it) }
        borrowed = null
    }

    fun array(): ByteArray = buf.array()
    fun length(): Int = buf.position()
}

/**
 * Lends a [UserContext]'s native handle for the length of one JNI call, without the JNA call of
 * `uniffiCloneHandle()`: holds the object's call counter (so a concurrent `close()` cannot free it), reads
 * the handle, and the native side takes its own reference. Reads the generated class's private fields, so it
 * checks them once and, if uniffi's layout ever differs, stays off (`available = false`) and the facade uses
 * uniffi's own encoding.
 */
internal object ContextHandles {
    private val fields = runCatching {
        val c = UserContext::class.java
        Triple(c.getDeclaredField("handle"), c.getDeclaredField("callCounter"), c.getDeclaredField("cleanable"))
            .also { (h, n, k) ->
                check(h.type == java.lang.Long.TYPE && n.type == AtomicLong::class.java && k.type == UniffiCleaner.Cleanable::class.java)
                h.isAccessible = true
                n.isAccessible = true
                k.isAccessible = true
            }
    }.getOrNull()
    val available = fields != null

    fun acquire(context: UserContext): Long {
        val (handle, counter, _) = fields!!
        val calls = counter.get(context) as AtomicLong
        do {
            val c = calls.get()
            check(c != 0L) { "UserContext has already been destroyed" }
        } while (!calls.compareAndSet(c, c + 1))
        return handle.getLong(context)
    }

    /**
     * A `UserContext` for a handle the engine hands to a Kotlin hook, released by a JNI call when collected.
     * The generated constructor would register a cleanup that frees through JNA (tens of µs with a native
     * `Memory` of its own); at one object per crossing that cleaner falls behind and native memory grows.
     * The object is otherwise the generated class: every method and conversion works on it.
     */
    fun adopt(ownedHandle: Long): UserContext {
        val (handle, _, _) = fields ?: return FfiConverterTypeUserContext.lift(ownedHandle)
        val context = UserContext(NoHandle)
        handle.setLong(context, ownedHandle)
        UniffiLib.CLEANER.register(context, ReleaseContext(ownedHandle))
        return context
    }

    private class ReleaseContext(private val handle: Long) : Runnable {
        override fun run() = FastPath.releaseContext(handle)
    }

    fun release(context: UserContext) {
        val (_, counter, cleanable) = fields!!
        if ((counter.get(context) as AtomicLong).decrementAndGet() == 0L) {
            (cleanable.get(context) as UniffiCleaner.Cleanable?)?.clean()
        }
    }
}

/** Operation indexes, resolved by name once from the native library (see `jvm_fast_path.rs`). */
@Suppress("ObjectPropertyName", "ktlint:standard:property-naming")
internal object Op {
    private val names: List<String> = fastPathOps()

    private fun of(name: String): Int {
        val i = names.indexOf(name)
        check(i >= 0) { "the native library has no fast-path operation '$name' (library and Kotlin from different builds?)" }
        return i
    }

    val signInUp = of("signInUp")
    val manuallyCreateOrUpdateUser = of("manuallyCreateOrUpdateUser")
    val signInUpPost = of("signInUpPost")
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
    val deliverPendingEvents = of("deliverPendingEvents")
}

/**
 * The JNI entry points (`Java_dev_authcore_FastPath_*` in the native library). JNA has already loaded the
 * library for the generated code; the JVM binds `external` functions only in libraries loaded through
 * `System.load`/`loadLibrary`, so this loads the same file again (the dynamic loader returns the same copy).
 */
internal object FastPath {
    init {
        val name = System.getProperty("uniffi.component.authcore.libraryOverride") ?: "authcore_uniffi"
        val file = runCatching { NativeLibrary.getInstance(name).file }.getOrNull()
        if (file != null && file.isFile) System.load(file.absolutePath) else System.loadLibrary(name)
    }

    external fun attach(handle: Long): Long
    external fun release(core: Long)
    external fun discard(token: Long)
    external fun call(core: Long, op: Int, args: ByteArray, length: Int): ByteArray

    // Hooks (jvm_hooks.rs).
    external fun functionsLayer(bridge: FunctionsBridge): Long
    external fun apisLayer(bridge: ApisBridge): Long
    external fun eventHandler(bridge: HandlerBridge): Long
    external fun complete(callId: Long, reply: ByteArray, length: Int)
    external fun callOriginal(original: Long, op: Int, args: ByteArray, length: Int): ByteArray
    external fun releaseOriginal(original: Long)
    external fun releaseContext(handle: Long)
}
