// Hand-written (not generated): Kotlin's public `AuthCore`. Ship it with the generated authcore.kt.
package dev.authcore

import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicLong
import kotlin.coroutines.cancellation.CancellationException

/**
 * The engine handle. Open it with `AuthCore.open(path, config, hooks)`; every method runs the overrides.
 *
 * Same methods, arguments and results as the generated [NativeAuthCore], whose calls go through uniffi's JNA
 * path (about 40 µs each on the JVM). Here every operation is a call to the engine's final `Functions`/`Apis`
 * objects (the very objects the native methods call) through one JNI call each ([OriginalFunctions],
 * `bindings/uniffi/src/jvm_hooks.rs`), so both paths behave identically. A call that waits on Kotlin code (a
 * suspended override or handler) finishes through uniffi's suspend machinery, cancellation included.
 *
 * Thread-safe. [close] releases the engine once the calls in flight are done; an unreachable, unclosed
 * `AuthCore` is released by the cleaner.
 */
class AuthCore private constructor(
    /** The generated object behind this one (uniffi's own call path). */
    val native: NativeAuthCore,
) : AutoCloseable {
    private val functions = OriginalFunctions(attached(FastPath.engineFunctions(native.uniffiCloneHandle())))
    private val apis = OriginalApis(attached(FastPath.engineApis(native.uniffiCloneHandle())))

    /** The final (overridden) recipe functions, as one object (calls over JNI). */
    fun functions(): Functions = functions

    /** The final (overridden) API functions, as one object (calls over JNI). */
    fun apis(): Apis = apis

    suspend fun signInUp(input: SignInUpInput, userContext: UserContext? = null): SignInUpResult =
        functions.signInUp(input, userContext ?: NewRequest)

    suspend fun manuallyCreateOrUpdateUser(input: SignInUpInput, userContext: UserContext? = null): ManuallyCreateOrUpdateUserResult =
        functions.manuallyCreateOrUpdateUser(input, userContext ?: NewRequest)

    /** The API flow (`signInUpPOST`): sign-in/up with the policy checks, a session and the redirect decision. */
    suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext? = null): SignInUpPostResult =
        apis.signInUpPost(input, userContext ?: NewRequest)

    suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext? = null): CreatePrimaryUserResult =
        functions.createPrimaryUser(recipeUserId, userContext ?: NewRequest)

    suspend fun canCreatePrimaryUser(recipeUserId: String, userContext: UserContext? = null): CreatePrimaryUserResult =
        functions.canCreatePrimaryUser(recipeUserId, userContext ?: NewRequest)

    suspend fun linkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext? = null): LinkAccountsResult =
        functions.linkAccounts(recipeUserId, primaryUserId, userContext ?: NewRequest)

    suspend fun canLinkAccounts(recipeUserId: String, primaryUserId: String, userContext: UserContext? = null): LinkAccountsResult =
        functions.canLinkAccounts(recipeUserId, primaryUserId, userContext ?: NewRequest)

    suspend fun unlinkAccount(recipeUserId: String, userContext: UserContext? = null): UnlinkAccountResult =
        functions.unlinkAccount(recipeUserId, userContext ?: NewRequest)

    suspend fun deleteUser(userId: String, removeAllLinkedAccounts: Boolean = true, userContext: UserContext? = null): Unit =
        functions.deleteUser(userId, removeAllLinkedAccounts, userContext ?: NewRequest)

    /** The user with this id (any member's recipe user id or the primary id), or null. */
    suspend fun getUser(userId: String, userContext: UserContext? = null): User? =
        functions.getUser(userId, userContext ?: NewRequest)

    suspend fun listUsersByAccountInfo(
        tenantId: String,
        accountInfo: AccountInfo,
        doUnionOfAccountInfo: Boolean = false,
        userContext: UserContext? = null,
    ): List<User> = functions.listUsersByAccountInfo(tenantId, accountInfo, doUnionOfAccountInfo, userContext ?: NewRequest)

    suspend fun getUsers(input: GetUsersInput = GetUsersInput(), userContext: UserContext? = null): GetUsersResult =
        functions.getUsers(input, userContext ?: NewRequest)

    suspend fun isEmailVerified(recipeUserId: String, email: String? = null, userContext: UserContext? = null): Boolean =
        functions.isEmailVerified(recipeUserId, email, userContext ?: NewRequest)

    suspend fun verifyEmail(input: VerifyEmailInput, userContext: UserContext? = null): VerifyEmailResult =
        functions.verifyEmail(input, userContext ?: NewRequest)

    suspend fun unverifyEmail(recipeUserId: String, email: String? = null, userContext: UserContext? = null): Unit =
        functions.unverifyEmail(recipeUserId, email, userContext ?: NewRequest)

    suspend fun createOrUpdateTenant(
        tenantId: String,
        config: TenantConfigInput = TenantConfigInput(),
        userContext: UserContext? = null,
    ): CreateOrUpdateTenantResult = functions.createOrUpdateTenant(tenantId, config, userContext ?: NewRequest)

    suspend fun deleteTenant(tenantId: String, userContext: UserContext? = null): DeleteTenantResult =
        functions.deleteTenant(tenantId, userContext ?: NewRequest)

    suspend fun getTenant(tenantId: String, userContext: UserContext? = null): Tenant? =
        functions.getTenant(tenantId, userContext ?: NewRequest)

    suspend fun listAllTenants(userContext: UserContext? = null): List<Tenant> = functions.listAllTenants(userContext ?: NewRequest)

    suspend fun associateUserToTenant(tenantId: String, recipeUserId: String, userContext: UserContext? = null): AssociateUserToTenantResult =
        functions.associateUserToTenant(tenantId, recipeUserId, userContext ?: NewRequest)

    suspend fun disassociateUserFromTenant(
        tenantId: String,
        recipeUserId: String,
        userContext: UserContext? = null,
    ): DisassociateUserFromTenantResult = functions.disassociateUserFromTenant(tenantId, recipeUserId, userContext ?: NewRequest)

    /** `accessTokenPayloadJson`: a JSON object as text. */
    suspend fun createNewSession(
        tenantId: String,
        recipeUserId: String,
        accessTokenPayloadJson: String = "{}",
        userContext: UserContext? = null,
    ): CreateNewSessionResult = functions.createNewSession(tenantId, recipeUserId, accessTokenPayloadJson, userContext ?: NewRequest)

    suspend fun getSession(
        accessToken: String,
        tenantId: String? = null,
        anyTenant: Boolean = false,
        userContext: UserContext? = null,
    ): GetSessionResult = functions.getSession(accessToken, tenantId, anyTenant, userContext ?: NewRequest)

    suspend fun revokeSession(sessionHandle: String, userContext: UserContext? = null): Boolean =
        functions.revokeSession(sessionHandle, userContext ?: NewRequest)

    suspend fun revokeAllSessionsForUser(
        userId: String,
        revokeSessionsForLinkedAccounts: Boolean = true,
        userContext: UserContext? = null,
    ): List<String> = functions.revokeAllSessionsForUser(userId, revokeSessionsForLinkedAccounts, userContext ?: NewRequest)

    suspend fun getAllSessionHandlesForUser(
        userId: String,
        fetchSessionsForAllLinkedAccounts: Boolean = true,
        userContext: UserContext? = null,
    ): List<String> = functions.getAllSessionHandlesForUser(userId, fetchSessionsForAllLinkedAccounts, userContext ?: NewRequest)

    /**
     * Any declared operation by name (`"getUserCount"`), its arguments as a JSON object in text; returns the
     * core's JSON result as text. [declaredOperations] lists the operations; [jsonForm] gives a result's
     * `{"status":"OK",...}` form.
     */
    suspend fun call(op: String, argsJson: String = "{}", userContext: UserContext? = null): String =
        native.call(op, argsJson, userContext)

    /** Redelivers events whose delivery failed or that a crashed run left pending. */
    suspend fun deliverPendingEvents(): DeliveryReport = native.deliverPendingEvents()

    /** The audit log: past events by user, tenant and time, oldest first. */
    fun listEvents(input: ListEventsInput = ListEventsInput()): ListEventsResult = native.listEvents(input)

    /**
     * Closes the engine; call it before the process exits. New calls throw [AuthException.ShutDown] at once,
     * calls already running finish, pending events are delivered (the result counts that last delivery).
     */
    suspend fun shutdown(): DeliveryReport = native.shutdown()

    /**
     * Releases the engine once the calls in flight are done. Later calls throw [IllegalStateException], also
     * through the objects [functions] and [apis] returned. Idempotent.
     */
    override fun close() {
        functions.close()
        apis.close()
        native.close()
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

        private fun attached(pointer: Long): Long {
            check(pointer != 0L) { "could not attach to the native AuthCore" }
            return pointer
        }
    }
}

/** The facade's `userContext = null` on its way to a `Functions` method: sent as "none", the engine starts a new request. */
internal val NewRequest: UserContext = UserContext(NoHandle)

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

    /**
     * Tag 0 for "none" ([NewRequest]), 2 + a borrowed handle when [ContextHandles] works, else 1 + a handle
     * cloned by the generated code (see `Uc` in jvm_hooks.rs).
     */
    fun ctx(value: UserContext): Args {
        if (value === NewRequest) {
            ensure(1)
            buf.put(0)
            return this
        }
        if (!ContextHandles.available) return put(FfiConverterOptionalTypeUserContext, value)
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

    external fun discard(token: Long)

    // Hooks (jvm_hooks.rs).
    external fun functionsLayer(bridge: FunctionsBridge): Long
    external fun apisLayer(bridge: ApisBridge): Long
    external fun eventHandler(bridge: HandlerBridge): Long
    external fun complete(callId: Long, reply: ByteArray, length: Int)
    external fun callOriginal(original: Long, op: Int, args: ByteArray, length: Int): ByteArray
    external fun engineFunctions(handle: Long): Long
    external fun engineApis(handle: Long): Long
    external fun releaseOriginal(original: Long)
    external fun releaseContext(handle: Long)
}
