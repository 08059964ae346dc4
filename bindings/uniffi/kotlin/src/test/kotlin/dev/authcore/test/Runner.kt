package dev.authcore.test

import dev.authcore.model.AccountInfo
import dev.authcore.Apis
import dev.authcore.ApisOverride
import dev.authcore.AuthCore
import dev.authcore.model.AuthCoreConfig
import dev.authcore.AuthException
import dev.authcore.model.CreateNewSessionResult
import dev.authcore.model.CreatePrimaryUserResult
import dev.authcore.Database
import dev.authcore.model.Event
import dev.authcore.EventHandler
import dev.authcore.EventSubscription
import dev.authcore.FirstFactorsInput
import dev.authcore.Functions
import dev.authcore.FunctionsOverride
import dev.authcore.model.GetAuthorisationUrlInput
import dev.authcore.model.GetUsersInput
import dev.authcore.Hooks
import dev.authcore.model.LinkAccountsResult
import dev.authcore.model.ManuallyCreateOrUpdateUserResult
import dev.authcore.model.NewAccountInfo
import dev.authcore.model.RedirectContext
import dev.authcore.model.Session
import dev.authcore.model.ShouldAutomaticallyLink
import dev.authcore.model.SignInUpInput
import dev.authcore.model.SignInUpPostInput
import dev.authcore.model.SignInUpPostResult
import dev.authcore.model.SignInUpResult
import dev.authcore.TenantConfigInput
import dev.authcore.model.ProviderConfig
import dev.authcore.model.ProviderConfigForClientType
import dev.authcore.model.GetConfigForClientTypeInput
import dev.authcore.model.GetAuthorisationRedirectUrlInput
import dev.authcore.model.AuthorisationRedirect
import dev.authcore.model.ExchangeAuthCodeInput
import dev.authcore.model.GetUserInfoInput
import dev.authcore.model.UserInfo
import dev.authcore.model.User
import dev.authcore.UserContext
import dev.authcore.model.VerifyEmailInput
import kotlinx.coroutines.delay
import java.io.File
import java.nio.file.Files
import java.util.Collections
import kotlin.reflect.KType
import kotlin.reflect.typeOf

/**
 * Runs one scenario file against the Kotlin API: the port of core/tests/common/runner.rs (the reference).
 * Scripted overrides are Kotlin override classes built by delegation; events are recorded by a catch-all handler.
 */

/** Results recorded by scripted overrides, by name. */
class Recordings {
    private val map = LinkedHashMap<String, MutableList<Any?>>()

    @Synchronized
    fun add(name: String, value: Any?) {
        map.getOrPut(name) { ArrayList() }.add(value)
    }

    @Synchronized
    fun get(name: String): List<Any?> = ArrayList(map[name] ?: emptyList())
}

/** One scripted directive: return a fixed value, throw, or call the original (recording its result). */
sealed class Directive {
    class Return(val value: Any?) : Directive()
    class Throw(val message: String) : Directive()
    class CallOriginal(val record: String?) : Directive()
}

/** The host exception a `throw` directive raises: a plain Kotlin exception, not an `AuthException`. */
class ScriptedException(message: String) : RuntimeException(message)

class Script(private val functions: Map<String, Any?>, val recordings: Recordings) {
    fun directive(name: String, ctx: UserContext): Directive? {
        val d = functions[name] as? Map<*, *> ?: return null
        val cond = d["whenUserContext"]
        if (cond is Map<*, *>) {
            for ((k, v) in cond) {
                val have = ctx.getJson(k.toString())?.let { Json.parse(it) }
                if (have == null || !Json.equal(have, v)) return null
            }
        }
        if (d.containsKey("throw")) {
            val message = (d["throw"] as? Map<*, *>)?.get("message") as? String ?: "scripted"
            return Directive.Throw(message)
        }
        if (d.containsKey("return")) return Directive.Return(d["return"])
        return Directive.CallOriginal(d["record"] as? String)
    }

    suspend fun <T> run(name: String, ctx: UserContext, type: KType, original: suspend () -> T): T {
        @Suppress("UNCHECKED_CAST")
        return when (val d = directive(name, ctx)) {
            null -> original()
            is Directive.Return -> Convert.fromJson(d.value, type, name) as T
            is Directive.Throw -> throw ScriptedException(d.message)
            is Directive.CallOriginal -> {
                val r = original()
                if (d.record != null) recordings.add(d.record, Convert.toJson(r))
                r
            }
        }
    }
}

/** Scripted recipe-function overrides: Kotlin delegation, seven methods replaced. */
class ScriptedFunctions(private val original: Functions, private val script: Script) : Functions by original {
    override suspend fun signInUp(input: SignInUpInput, userContext: UserContext): SignInUpResult =
        script.run("signInUp", userContext, typeOf<SignInUpResult>()) { original.signInUp(input, userContext) }

    override suspend fun manuallyCreateOrUpdateUser(
        input: SignInUpInput,
        userContext: UserContext,
    ): ManuallyCreateOrUpdateUserResult =
        script.run("manuallyCreateOrUpdateUser", userContext, typeOf<ManuallyCreateOrUpdateUserResult>()) {
            original.manuallyCreateOrUpdateUser(input, userContext)
        }

    override suspend fun shouldDoAutomaticAccountLinking(
        newAccountInfo: NewAccountInfo,
        user: User?,
        session: Session?,
        tenantId: String,
        userContext: UserContext,
    ): ShouldAutomaticallyLink =
        script.run("shouldDoAutomaticAccountLinking", userContext, typeOf<ShouldAutomaticallyLink>()) {
            original.shouldDoAutomaticAccountLinking(newAccountInfo, user, session, tenantId, userContext)
        }

    override suspend fun createPrimaryUser(recipeUserId: String, userContext: UserContext): CreatePrimaryUserResult =
        script.run("createPrimaryUser", userContext, typeOf<CreatePrimaryUserResult>()) {
            original.createPrimaryUser(recipeUserId, userContext)
        }

    override suspend fun linkAccounts(
        recipeUserId: String,
        primaryUserId: String,
        userContext: UserContext,
    ): LinkAccountsResult =
        script.run("linkAccounts", userContext, typeOf<LinkAccountsResult>()) {
            original.linkAccounts(recipeUserId, primaryUserId, userContext)
        }

    override suspend fun getUser(userId: String, userContext: UserContext): User? =
        script.run("getUser", userContext, typeOf<User?>()) { original.getUser(userId, userContext) }

    override suspend fun createNewSession(
        tenantId: String,
        recipeUserId: String,
        accessTokenPayloadJson: String,
        userContext: UserContext,
    ): CreateNewSessionResult =
        script.run("createNewSession", userContext, typeOf<CreateNewSessionResult>()) {
            original.createNewSession(tenantId, recipeUserId, accessTokenPayloadJson, userContext)
        }

    override suspend fun getConfigForClientType(
        input: GetConfigForClientTypeInput,
        userContext: UserContext,
    ): ProviderConfigForClientType =
        script.run("getConfigForClientType", userContext, typeOf<ProviderConfigForClientType>()) {
            original.getConfigForClientType(input, userContext)
        }

    override suspend fun getAuthorisationRedirectUrl(
        input: GetAuthorisationRedirectUrlInput,
        userContext: UserContext,
    ): AuthorisationRedirect =
        script.run("getAuthorisationRedirectURL", userContext, typeOf<AuthorisationRedirect>()) {
            original.getAuthorisationRedirectUrl(input, userContext)
        }

    override suspend fun exchangeAuthCodeForOAuthTokens(input: ExchangeAuthCodeInput, userContext: UserContext): String =
        script.run("exchangeAuthCodeForOAuthTokens", userContext, typeOf<String>()) {
            original.exchangeAuthCodeForOAuthTokens(input, userContext)
        }

    override suspend fun getUserInfo(input: GetUserInfoInput, userContext: UserContext): UserInfo =
        script.run("getUserInfo", userContext, typeOf<UserInfo>()) { original.getUserInfo(input, userContext) }
}

/** Scripted API overrides. */
class ScriptedApis(private val original: Apis, private val script: Script) : Apis by original {
    override suspend fun signInUpPost(input: SignInUpPostInput, userContext: UserContext): SignInUpPostResult =
        script.run("signInUpPOST", userContext, typeOf<SignInUpPostResult>()) {
            original.signInUpPost(input, userContext)
        }

    override suspend fun getRedirectionUrl(context: RedirectContext, userContext: UserContext): String? =
        script.run("getRedirectionURL", userContext, typeOf<String?>()) {
            original.getRedirectionUrl(context, userContext)
        }
}

/** Records every delivered event, in delivery order. */
class Recorder : EventHandler {
    private val events = Collections.synchronizedList(ArrayList<Event>())

    override suspend fun handle(event: Event) {
        events.add(event)
    }

    fun take(): List<Event> = synchronized(events) { ArrayList(events).also { events.clear() } }
}

/** A failed call: the stable code (`AuthException.code()`, or `INVALID_INPUT` for input the runner refused). */
class CallFailure(val code: String, message: String) : Exception(message)

object Runner {
    private fun s(args: Map<*, *>, key: String): String =
        args[key] as? String ?: throw InputError("$key: expected a string")

    private fun optS(args: Map<*, *>, key: String): String? = args[key] as? String

    private fun b(args: Map<*, *>, key: String, default: Boolean): Boolean = args[key] as? Boolean ?: default

    private fun ctxOf(args: Map<*, *>): UserContext = when (val c = args["userContext"]) {
        is Map<*, *> -> UserContext.fromJson(Json.write(c))
        else -> UserContext()
    }

    private inline fun <reified T> parse(v: Any?, field: String): T = Convert.fromJson(v, typeOf<T>(), field) as T

    private fun ok(vararg pairs: Pair<String, Any?>): Map<String, Any?> =
        linkedMapOf<String, Any?>("status" to "OK").also { it.putAll(pairs) }

    /** The `createOrUpdateTenant` config: `firstFactors: null` resets to all factors (absent: unchanged). */
    private fun tenantConfig(c: Any?): TenantConfigInput {
        val m = c as? Map<*, *> ?: throw InputError("config: expected an object")
        val known = setOf("thirdPartyEnabled", "firstFactors", "providers")
        m.keys.firstOrNull { it !in known }?.let { throw InputError("config: unknown field $it") }
        val firstFactors = when {
            !m.containsKey("firstFactors") -> null
            m["firstFactors"] == null -> FirstFactorsInput.AllFactors
            else -> FirstFactorsInput.Only(parse<List<String>>(m["firstFactors"], "config.firstFactors"))
        }
        return TenantConfigInput(
            thirdPartyEnabled = parse<Boolean?>(if (m.containsKey("thirdPartyEnabled")) m["thirdPartyEnabled"] else Missing, "config.thirdPartyEnabled"),
            firstFactors = firstFactors,
            providers = parse<List<ProviderConfig>?>(if (m.containsKey("providers")) m["providers"] else Missing, "config.providers"),
        )
    }

    /** Calls one op; returns the result as JSON. Throws [CallFailure] for an error. */
    suspend fun call(auth: AuthCore, op: String, args: Map<*, *>, rec: Recordings?): Any? = try {
        dispatch(auth, op, args, rec)
    } catch (e: AuthException) {
        throw CallFailure(e.code(), e.message ?: "")
    } catch (e: InputError) {
        throw CallFailure("INVALID_INPUT", e.message ?: "")
    }

    private suspend fun dispatch(auth: AuthCore, op: String, args: Map<*, *>, rec: Recordings?): Any? {
        if (op == "getRecorded") {
            val name = s(args, "name")
            return ok("calls" to (rec?.get(name) ?: emptyList<Any?>()))
        }
        val ctx = ctxOf(args)
        val input = LinkedHashMap<Any?, Any?>(args).also { it.remove("userContext") }
        return when (op) {
            "drive" -> Peers.drive(input)
            "signInUp" -> Convert.toJson(auth.signInUp(parse<SignInUpInput>(input, "input"), ctx))
            "manuallyCreateOrUpdateUser" ->
                Convert.toJson(auth.manuallyCreateOrUpdateUser(parse<SignInUpInput>(input, "input"), ctx))
            "getAuthorisationURL" ->
                Convert.toJson(auth.getAuthorisationUrl(parse<GetAuthorisationUrlInput>(input, "input"), ctx))
            "signInUpPOST" -> Convert.toJson(auth.signInUpPost(parse<SignInUpPostInput>(input, "input"), ctx))
            "createPrimaryUser" -> Convert.toJson(auth.createPrimaryUser(s(args, "recipeUserId"), ctx))
            "canCreatePrimaryUser" -> Convert.toJson(auth.canCreatePrimaryUser(s(args, "recipeUserId"), ctx))
            "linkAccounts" ->
                Convert.toJson(auth.linkAccounts(s(args, "recipeUserId"), s(args, "primaryUserId"), ctx))
            "canLinkAccounts" ->
                Convert.toJson(auth.canLinkAccounts(s(args, "recipeUserId"), s(args, "primaryUserId"), ctx))
            "unlinkAccount" -> Convert.toJson(auth.unlinkAccount(s(args, "recipeUserId"), ctx))
            "deleteUser" -> {
                auth.deleteUser(s(args, "userId"), b(args, "removeAllLinkedAccounts", true), ctx)
                ok()
            }
            "getUser" -> ok("user" to Convert.toJson(auth.getUser(s(args, "userId"), ctx)))
            "listUsersByAccountInfo" -> {
                val info = parse<AccountInfo>(args["accountInfo"], "accountInfo")
                val users = auth.listUsersByAccountInfo(
                    s(args, "tenantId"), info, b(args, "doUnionOfAccountInfo", false), ctx,
                )
                ok("users" to Convert.toJson(users))
            }
            "getUsers" -> {
                val known = setOf("tenantId", "limit", "paginationToken", "timeJoinedOrder")
                input.keys.firstOrNull { it !in known }?.let { throw InputError("input: unknown field $it") }
                // The core's serde default (`timeJoinedOrder` is not optional in the record, and uniffi has no enum defaults).
                val withOrder = if (input.containsKey("timeJoinedOrder")) input else input + ("timeJoinedOrder" to "ASC")
                val r = Convert.toJson(auth.getUsers(parse<GetUsersInput>(withOrder, "input"), ctx)) as Map<*, *>
                LinkedHashMap<Any?, Any?>(r).also { it["status"] = "OK" }
            }
            "createOrUpdateTenant" -> Convert.toJson(
                auth.createOrUpdateTenant(
                    s(args, "tenantId"),
                    tenantConfig(if (args.containsKey("config")) args["config"] else emptyMap<String, Any?>()),
                    ctx,
                ),
            )
            "getTenant" -> ok("tenant" to Convert.toJson(auth.getTenant(s(args, "tenantId"), ctx)))
            "listAllTenants" -> ok("tenants" to Convert.toJson(auth.listAllTenants(ctx)))
            "deleteTenant" -> Convert.toJson(auth.deleteTenant(s(args, "tenantId"), ctx))
            "associateUserToTenant" ->
                Convert.toJson(auth.associateUserToTenant(s(args, "tenantId"), s(args, "recipeUserId"), ctx))
            "disassociateUserFromTenant" ->
                Convert.toJson(auth.disassociateUserFromTenant(s(args, "tenantId"), s(args, "recipeUserId"), ctx))
            "isEmailVerified" ->
                ok("isVerified" to auth.isEmailVerified(s(args, "recipeUserId"), optS(args, "email"), ctx))
            "verifyEmail" -> Convert.toJson(auth.verifyEmail(parse<VerifyEmailInput>(input, "input"), ctx))
            "unverifyEmail" -> {
                auth.unverifyEmail(s(args, "recipeUserId"), optS(args, "email"), ctx)
                ok()
            }
            "createNewSession" -> {
                val payload = if (args.containsKey("accessTokenPayload")) args["accessTokenPayload"] else emptyMap<String, Any?>()
                Convert.toJson(auth.createNewSession(s(args, "tenantId"), s(args, "recipeUserId"), Json.write(payload), ctx))
            }
            "getSession" -> Convert.toJson(
                auth.getSession(s(args, "accessToken"), optS(args, "tenantId"), b(args, "anyTenant", false), ctx),
            )
            "revokeSession" -> ok("wasRevoked" to auth.revokeSession(s(args, "sessionHandle"), ctx))
            "revokeAllSessionsForUser" -> ok(
                "revokedSessionHandles" to auth.revokeAllSessionsForUser(
                    s(args, "userId"), b(args, "revokeSessionsForLinkedAccounts", true), ctx,
                ),
            )
            "getAllSessionHandlesForUser" -> ok(
                "sessionHandles" to auth.getAllSessionHandlesForUser(
                    s(args, "userId"), b(args, "fetchSessionsForAllLinkedAccounts", true), ctx,
                ),
            )
            "sleep" -> {
                delay((args["ms"] as? Long) ?: 0L)
                ok()
            }
            // Any other declared operation: the generic call, its result in the declared JSON form.
            else -> Json.parse(dev.authcore.jsonForm(op, auth.call(op, Json.write(input), ctx)))
        }
    }

    /** The engine config part of a scenario. */
    fun engineConfig(scenario: Map<*, *>): AuthCoreConfig {
        val cfg = scenario["config"] as? Map<*, *> ?: emptyMap<String, Any?>()
        val engine = LinkedHashMap<String, Any?>()
        for (key in listOf("providers", "accountLinking", "redirect", "events", "providerSecretsKey")) {
            if (cfg.containsKey(key)) engine[key] = cfg[key]
        }
        return Convert.fromJson(engine, typeOf<AuthCoreConfig>(), "config") as AuthCoreConfig
    }

    /** Runs a scenario; throws [AssertionError] describing the first failing step. */
    /** Runs a scenario file on `database` (default: a new SQLite file in a temporary directory). */
    suspend fun runScenario(file: File, database: Database? = null) {
        val scenario = Peers.withPeers(Json.parse(file.readText())) as? Map<*, *>
            ?: throw AssertionError("not a JSON object")
        val dir = Files.createTempDirectory("authcore-kt")
        val recorder = Recorder()
        val recordings = Recordings()
        val functions = ArrayList<FunctionsOverride>()
        val apis = ArrayList<ApisOverride>()
        val overrides = (scenario["config"] as? Map<*, *>)?.get("overrides")
        if (overrides is Map<*, *>) {
            overrides.keys.firstOrNull { it != "functions" && it != "apis" }?.let {
                throw AssertionError("config.overrides: unknown key $it")
            }
            (overrides["functions"] as? Map<*, *>)?.let { f ->
                @Suppress("UNCHECKED_CAST")
                val script = Script(f as Map<String, Any?>, recordings)
                functions.add(object : FunctionsOverride {
                    override fun apply(original: Functions): Functions = ScriptedFunctions(original, script)
                })
            }
            (overrides["apis"] as? Map<*, *>)?.let { f ->
                @Suppress("UNCHECKED_CAST")
                val script = Script(f as Map<String, Any?>, recordings)
                apis.add(object : ApisOverride {
                    override fun apply(original: Apis): Apis = ScriptedApis(original, script)
                })
            }
        }
        val config = try {
            engineConfig(scenario)
        } catch (e: InputError) {
            throw AssertionError("config: ${e.message}")
        }
        val auth = AuthCore.open(
            database ?: Database.Sqlite(dir.resolve("auth.db").toString()),
            config,
            Hooks(functions = functions, apis = apis, handlers = listOf(EventSubscription(null, recorder))),
        )
        try {
            val tenants = (scenario["config"] as? Map<*, *>)?.get("tenants") as? List<*> ?: emptyList<Any?>()
            for (t in tenants) {
                val tm = t as Map<*, *>
                val args = mapOf("tenantId" to tm["tenantId"], "config" to (tm["config"] ?: emptyMap<String, Any?>()))
                try {
                    call(auth, "createOrUpdateTenant", args, null)
                } catch (e: CallFailure) {
                    throw AssertionError("tenant setup: ${e.code} ${e.message}")
                }
            }
            recorder.take()
            val caps: Captures = HashMap()
            val steps = scenario["steps"] as? List<*> ?: throw AssertionError("no steps")
            for ((i, stepAny) in steps.withIndex()) {
                val step = stepAny as Map<*, *>
                val op = step["op"] as? String ?: throw AssertionError("step $i: no op")
                val at = "step $i ($op)"
                val args = try {
                    Matcher.resolve(step["args"] ?: emptyMap<String, Any?>(), caps) as Map<*, *>
                } catch (e: MatchFailure) {
                    throw AssertionError("$at: ${e.message}")
                }
                val result = try {
                    Result.success(call(auth, op, args, recordings))
                } catch (e: CallFailure) {
                    Result.failure(e)
                }
                val expectError = step["expectError"]
                val failure = result.exceptionOrNull() as CallFailure?
                when {
                    failure != null && expectError != null -> if (failure.code != expectError) {
                        throw AssertionError("$at: expected error $expectError, got ${failure.code} (${failure.message})")
                    }
                    failure != null -> throw AssertionError("$at: unexpected error ${failure.code} (${failure.message})")
                    expectError != null -> throw AssertionError("$at: expected error $expectError, got ${Json.write(result.getOrNull())}")
                    else -> {
                        val v = result.getOrNull()
                        (step["capture"] as? String)?.let { caps[it] = v }
                        if (step.containsKey("expect")) {
                            try {
                                Matcher.matches(step["expect"], v, caps, "result")
                            } catch (e: MatchFailure) {
                                throw AssertionError("$at: ${e.message}\n    actual: ${Json.write(v)}")
                            }
                        }
                    }
                }
                val events = recorder.take()
                val names = events.map { Convert.toJson(it.name) }
                val actual = events.map { Convert.toJson(it) }
                val expected = when (val e = step["events"]) {
                    null -> emptyList()
                    is List<*> -> e.map { if (it is String) mapOf("name" to it) else it }
                    else -> throw AssertionError("$at: events must be an array")
                }
                try {
                    Matcher.matches(expected, actual, caps, "events")
                } catch (e: MatchFailure) {
                    throw AssertionError("$at: ${e.message}\n    delivered: $names")
                }
            }
        } finally {
            auth.shutdown()
            auth.close()
            dir.toFile().deleteRecursively()
        }
    }
}
