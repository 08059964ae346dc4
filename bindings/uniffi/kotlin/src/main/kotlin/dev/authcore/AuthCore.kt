// Hand-written (not generated): Kotlin's public `AuthCore`. Ship it with the generated authcore.kt.
package dev.authcore

import dev.authcore.model.*
import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer
import kotlin.coroutines.cancellation.CancellationException

/**
 * The engine handle. Open it with `AuthCore.open(path, config, hooks)` (SQLite) or `AuthCore.open(database, config,
 * hooks)` (`Database.Sqlite` / `Database.Postgres`); every method runs the overrides. The typed
 * method of each declared operation comes from [DeclaredOperations], generated from the core's declaration.
 *
 * Same methods, arguments and results as the generated [NativeAuthCore], whose calls go through uniffi's JNA
 * path (about 40 µs each on the JVM). Here every operation is a call to the engine's final `Functions`/`Apis`
 * objects (the very objects the native methods call) through one JNI call each ([OriginalFunctions],
 * `bindings/uniffi/src/jvm_hooks.rs`), and `open`, [call], [listEvents], [deliverPendingEvents] and [shutdown]
 * call the native methods themselves the same way ([EngineCalls], `jvm_engine.rs`), so both paths behave
 * identically. A call that waits on Kotlin code (a suspended override or handler) finishes through uniffi's
 * suspend machinery, cancellation included.
 *
 * Thread-safe. [close] releases the engine once the calls in flight are done; an unreachable, unclosed
 * `AuthCore` is released by the cleaner.
 */
class AuthCore private constructor(
    /** The generated object behind this one (uniffi's own call path). */
    val native: NativeAuthCore,
) : DeclaredOperations(), AutoCloseable {
    private val functions = OriginalFunctions(attached(FastPath.engineFunctions(native.uniffiCloneHandle())))
    private val apis = OriginalApis(attached(FastPath.engineApis(native.uniffiCloneHandle())))
    private val engine = EngineCalls(attached(FastPath.engine(native.uniffiCloneHandle())))

    override fun functions(): Functions = functions

    override fun apis(): Apis = apis

    // The typed methods of the declared operations are generated (`DeclaredOperations` in Overrides.kt); this
    // one takes its input's fields as parameters.
    suspend fun getSession(
        accessToken: String,
        tenantId: String? = null,
        anyTenant: Boolean = false,
        userContext: UserContext? = null,
    ): GetSessionResult = functions.getSession(GetSessionInput(accessToken, tenantId, anyTenant), userContext ?: NewRequest)

    /**
     * Any declared operation by name (`"getUserCount"`), its arguments as a JSON object in text; returns the
     * core's JSON result as text. [declaredOperations] lists the operations; [jsonForm] gives a result's
     * `{"status":"OK",...}` form.
     */
    suspend fun call(op: String, argsJson: String = "{}", userContext: UserContext? = null): String =
        engine.callOperation(op, argsJson, userContext ?: NewRequest)

    /** Redelivers events whose delivery failed or that a crashed run left pending. */
    suspend fun deliverPendingEvents(): DeliveryReport = engine.deliverPendingEvents()

    /** The audit log: past events by user, tenant and time, oldest first. */
    fun listEvents(input: ListEventsInput = ListEventsInput()): ListEventsResult = engine.listEvents(input)

    /**
     * Closes the engine; call it before the process exits. New calls throw [AuthException.ShutDown] at once,
     * calls already running finish, pending events are delivered (the result counts that last delivery).
     */
    suspend fun shutdown(): DeliveryReport = engine.shutdown()

    /**
     * Releases the engine once the calls in flight are done. Later calls throw [IllegalStateException], also
     * through the objects [functions] and [apis] returned. Idempotent.
     */
    override fun close() {
        functions.close()
        apis.close()
        engine.close()
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
            open(Database.Sqlite(path), config, hooks)

        /**
         * [open] on the given database: `Database.Sqlite(path)`, or `Database.Postgres(url, schema)` (a libpq-style
         * URL, `postgres://user:password@host:5432/db`; the tables in `schema`, `null`: `authcore`, created and
         * migrated if needed). The core checks it: a bad one throws `AuthException.InvalidInput`
         * (`INVALID_INPUT`); so does `Database.Postgres` with a library built without PostgreSQL (Android, iOS).
         */
        suspend fun open(database: Database, config: AuthCoreConfig = AuthCoreConfig(), hooks: Hooks = Hooks()): AuthCore {
            // The native `AuthCore::open_database` over JNI (jvm_engine.rs), its arguments and result in uniffi's
            // encoding.
            val args = Args().put(FfiConverterTypeDatabase, database).put(FfiConverterTypeAuthCoreConfig, config).put(FfiConverterTypeNativeHooks, JvmHooks.of(hooks))
            return AuthCore(finish(FastPath.open(args.array(), args.length()), FfiConverterTypeNativeAuthCore))
        }

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
internal suspend fun <T> finish(first: ByteArray, result: ModelConverter<T>): T = finish(first, result.local())

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
    return decode(reply, result)
}

/** A finished reply: `OK` + value, `ERR` + `AuthError` (thrown); anything else is a binding fault. */
internal fun <T> decode(reply: ByteArray, result: ModelConverter<T>): T = decode(reply, result.local())

internal fun <T> decode(reply: ByteArray, result: FfiConverter<T, *>?): T {
    val buf = ByteBuffer.wrap(reply, 1, reply.size - 1)
    when (reply[0]) {
        OK -> {
            @Suppress("UNCHECKED_CAST")
            return if (result == null) Unit as T else result.read(buf)
        }
        ERR -> throw FfiConverterTypeAuthError.read(buf)
        PENDING -> throw InternalException("a synchronous native call waited on Kotlin code")
        else -> throw InternalException(String(reply, 1, reply.size - 1, Charsets.UTF_8))
    }
}

/**
 * A converter of the core's records and enums. They are generated into their own uniffi component (package
 * `dev.authcore.model`, from the core crate's `uniffi` feature), whose converters implement that package's
 * `FfiConverter` interface: the same serialisation as this package's, so [local] adapts one to the other.
 */
internal typealias ModelConverter<T> = dev.authcore.model.FfiConverter<T, *>

/** A model converter as this package's [FfiConverter] (only `read`, `write` and `allocationSize` are used here). */
internal fun <T> ModelConverter<T>.local(): FfiConverter<T, *> {
    val model = this
    return object : FfiConverterRustBuffer<T> {
        override fun read(buf: ByteBuffer): T = model.read(buf)
        override fun allocationSize(value: T): ULong = model.allocationSize(value)
        override fun write(value: T, buf: ByteBuffer) = model.write(value, buf)
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

    fun <T> put(converter: ModelConverter<T>, value: T): Args = put(converter.local(), value)

    fun <T> put(converter: FfiConverter<T, *>, value: T): Args {
        ensure(converter.allocationSize(value).toInt())
        converter.write(value, buf)
        return this
    }

    private var borrowed: UserContext? = null

    fun str(value: String) = put(FfiConverterString, value)
    fun bool(value: Boolean) = put(FfiConverterBoolean, value)

    /**
     * Tag 0 for "none" ([NewRequest]), else 2 + a borrowed handle, lent until [releaseBorrowed] (see `Uc` in
     * jvm_hooks.rs). One borrowed context per call.
     */
    fun ctx(value: UserContext): Args {
        if (value === NewRequest) {
            ensure(1)
            buf.put(0)
            return this
        }
        check(borrowed == null) { "one borrowed UserContext per call" }
        val handle = value.uniffiLendHandle()
        borrowed = value
        ensure(9)
        buf.put(2).putLong(handle)
        return this
    }

    /** After the JNI call: the native side holds its own reference by now. */
    fun releaseBorrowed() {
        borrowed?.uniffiEndLend()
        borrowed = null
    }

    fun array(): ByteArray = buf.array()
    fun length(): Int = buf.position()
}

/**
 * A `UserContext` for a handle the engine hands to a Kotlin hook, released by a JNI call when closed or
 * collected. The generated constructor would register a cleanup that frees through JNA (tens of µs with a
 * native `Memory` of its own); at one object per crossing that cleaner falls behind and native memory grows.
 * The object is otherwise the generated class: every method and conversion works on it. (The constructor is
 * the one `scripts/gen-bindings` adds to the generated class.)
 */
internal object ContextHandles {
    fun adopt(ownedHandle: Long): UserContext = UserContext(ownedHandle, ReleaseContext(ownedHandle))

    private class ReleaseContext(private val handle: Long) : Runnable {
        override fun run() = FastPath.releaseContext(handle)
    }
}

/**
 * The methods of the generated [UserContext] over JNI (`bindings/uniffi/src/jvm_context.rs`): the class calls
 * these (`scripts/gen-bindings` patches it so) instead of uniffi's JNA code, ~40 µs -> a few µs per call. The
 * handle is lent for the call (the object's call counter held, as the generated code does), arguments and
 * results are uniffi's serialisation, the method that runs is the binding's own: results, errors
 * ([AuthException]) and `close()` behave as on uniffi's path (`uniffiJna...` in the class).
 */
internal object ContextCalls {
    private val names: List<String> = jvmContextOps()

    private fun of(name: String): Int {
        val i = names.indexOf(name)
        check(i >= 0) { "the native library has no UserContext operation '$name' (library and Kotlin from different builds?)" }
        return i
    }

    private val getJsonOp = of("getJson")
    private val setJsonOp = of("setJson")
    private val getStringOp = of("getString")
    private val setStringOp = of("setString")
    private val getBoolOp = of("getBool")
    private val setBoolOp = of("setBool")
    private val removeOp = of("remove")
    private val keysOp = of("keys")
    private val toJsonOp = of("toJson")
    private val isSameRequestOp = of("isSameRequest")

    fun getJson(c: UserContext, key: String): String? = call(c, getJsonOp, FfiConverterOptionalString) { str(key) }
    fun setJson(c: UserContext, key: String, valueJson: String): Unit = call<Unit>(c, setJsonOp, null) { str(key).str(valueJson) }
    fun getString(c: UserContext, key: String): String? = call(c, getStringOp, FfiConverterOptionalString) { str(key) }
    fun setString(c: UserContext, key: String, value: String): Unit = call<Unit>(c, setStringOp, null) { str(key).str(value) }
    fun getBool(c: UserContext, key: String): Boolean? = call(c, getBoolOp, FfiConverterOptionalBoolean) { str(key) }
    fun setBool(c: UserContext, key: String, value: Boolean): Unit = call<Unit>(c, setBoolOp, null) { str(key).bool(value) }
    fun remove(c: UserContext, key: String): Unit = call<Unit>(c, removeOp, null) { str(key) }
    fun keys(c: UserContext): List<String> = call(c, keysOp, FfiConverterSequenceString) {}
    fun toJson(c: UserContext): String = call(c, toJsonOp, FfiConverterString) {}
    fun isSameRequest(c: UserContext, other: UserContext): Boolean = call(c, isSameRequestOp, FfiConverterBoolean) { ctx(other) }

    private inline fun <T> call(c: UserContext, op: Int, result: FfiConverter<T, *>?, args: Args.() -> Unit): T {
        val written = Args().apply(args)
        try {
            val handle = c.uniffiLendHandle()
            val reply = try {
                FastPath.context(handle, op, written.array(), written.length())
            } finally {
                c.uniffiEndLend()
            }
            return decode(reply, result)
        } finally {
            written.releaseBorrowed()
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
    external fun engine(handle: Long): Long
    external fun open(args: ByteArray, length: Int): ByteArray

    // UserContext methods (jvm_context.rs).
    external fun context(handle: Long, op: Int, args: ByteArray, length: Int): ByteArray
    external fun releaseOriginal(original: Long)
    external fun releaseContext(handle: Long)
}
