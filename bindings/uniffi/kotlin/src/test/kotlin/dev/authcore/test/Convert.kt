package dev.authcore.test

import dev.authcore.model.AuditRecord
import dev.authcore.model.Event
import dev.authcore.model.EventName
import dev.authcore.model.FlowMode
import dev.authcore.model.NewAccountInfo
import dev.authcore.model.RecipeId
import dev.authcore.model.Tenant
import kotlin.metadata.KmClassifier
import kotlin.metadata.jvm.KotlinClassMetadata
import kotlin.reflect.KClass
import kotlin.reflect.KParameter
import kotlin.reflect.KType
import kotlin.reflect.full.memberProperties
import kotlin.reflect.full.primaryConstructor

/** Scenario input that does not fit the typed API: the runner reports it as `INVALID_INPUT`, like Rust's. */
class InputError(message: String) : Exception(message)

/**
 * JSON <-> the generated data classes, by reflection, in the camelCase shape of the scenarios:
 * * a data class is an object of its constructor properties (null ones omitted, as serde skips them);
 * * a sealed class (a uniffi enum with fields: a result) is `{"status": "SCREAMING_NAME", ...fields}`;
 * * a field typed `JsonValue` / `JsonObject` (the core's JSON custom types: JSON text in Kotlin) is that JSON;
 * * the fields the core's serde flattens ([FLATTENED]) are merged into their parent object;
 * * enums use their JSON spelling: `EventName` camelCase, `RecipeId` "thirdparty", the others SCREAMING.
 */
object Convert {
    /**
     * The record fields the core marks `#[serde(flatten)]`: in the scenarios' JSON their fields sit in the parent
     * object. (uniffi carries no serde attributes, so the test runner names them.)
     */
    private val FLATTENED: Map<KClass<*>, String> = mapOf(
        Tenant::class to "config",
        NewAccountInfo::class to "accountInfo",
        AuditRecord::class to "event",
        Event::class to "message",
    )

    /**
     * Record fields whose JSON name the core's serde renames (an acronym kept in capitals), by their Kotlin name:
     * uniffi camel-cases the Rust name (`redirect_uri_info` -> `redirectUriInfo`), the JSON keeps `redirectURIInfo`.
     */
    private val RENAMED: Map<String, String> = mapOf(
        "redirectUriInfo" to "redirectURIInfo",
        "redirectUriOnProviderDashboard" to "redirectURIOnProviderDashboard",
        "redirectUriQueryParams" to "redirectURIQueryParams",
        "fromUserInfoApi" to "fromUserInfoAPI",
        "forcePkce" to "forcePKCE",
        "supportsPkce" to "supportsPKCE",
        "jwksUri" to "jwksURI",
    )

    /** The JSON key of the record field `name`. */
    private fun jsonName(name: String): String = RENAMED[name] ?: name

    private val jsonFields = HashMap<KClass<*>, Set<String>>()

    /** The properties of `k` declared as the core's JSON custom types (typealiases of String), from Kotlin metadata. */
    private fun jsonFieldsOf(k: KClass<*>): Set<String> = synchronized(jsonFields) {
        jsonFields.getOrPut(k) {
            val annotation = k.java.getAnnotation(Metadata::class.java) ?: return@getOrPut emptySet()
            val km = (KotlinClassMetadata.readLenient(annotation) as? KotlinClassMetadata.Class)?.kmClass
                ?: return@getOrPut emptySet()
            km.properties.filter { p ->
                val alias = p.returnType.abbreviatedType?.classifier as? KmClassifier.TypeAlias
                alias != null && (alias.name.endsWith("/JsonValue") || alias.name.endsWith("/JsonObject"))
            }.map { it.name }.toSet()
        }
    }

    // ---- typed -> JSON ----

    fun toJson(v: Any?): Any? = when (v) {
        null -> null
        is String, is Boolean -> v
        is Long -> v
        is Int -> v.toLong()
        is Short -> v.toLong()
        is Byte -> v.toLong()
        is UInt -> v.toLong()
        is ULong -> v.toLong()
        is UShort -> v.toLong()
        is UByte -> v.toLong()
        is Double -> v
        is Float -> v.toDouble()
        is List<*> -> v.map { toJson(it) }
        is Set<*> -> v.map { toJson(it) }
        is Map<*, *> -> LinkedHashMap<String, Any?>().also { m -> v.forEach { (k, x) -> m[k.toString()] = toJson(x) } }
        is Enum<*> -> enumJson(v)
        else -> objectJson(v)
    }

    private fun objectJson(v: Any): Map<String, Any?> {
        val k = v::class
        val out = LinkedHashMap<String, Any?>()
        val parent = k.java.superclass?.kotlin
        if (parent != null && parent.isSealed) out["status"] = screaming(k.simpleName ?: "")
        if (k.objectInstance != null) return out
        val ctor = k.primaryConstructor ?: throw IllegalArgumentException("no primary constructor: $k")
        val props = k.memberProperties.associateBy { it.name }
        val json = jsonFieldsOf(k)
        for (p in ctor.parameters) {
            val name = p.name ?: continue
            val prop = props[name] ?: continue
            val value = prop.getter.call(v) ?: continue
            val converted = if (name in json && value is String) Json.parse(value) else toJson(value)
            if (FLATTENED[k] == name && converted is Map<*, *>) {
                converted.forEach { (mk, mv) -> out[mk.toString()] = mv }
            } else {
                out[jsonName(name)] = converted
            }
        }
        return out
    }

    private fun enumJson(e: Enum<*>): String = when (e) {
        is EventName -> camel(e.name)
        is FlowMode -> e.name.lowercase()
        is RecipeId -> when (e) {
            RecipeId.THIRD_PARTY -> "thirdparty"
        }
        else -> e.name
    }

    /** `SIGN_IN` -> `signIn`. */
    private fun camel(screaming: String): String {
        val parts = screaming.lowercase().split('_')
        return parts.first() + parts.drop(1).joinToString("") { it.replaceFirstChar(Char::uppercase) }
    }

    /** `InputUserIsNotAPrimaryUser` -> `INPUT_USER_IS_NOT_A_PRIMARY_USER`, `Ok` -> `OK`. */
    fun screaming(camel: String): String {
        val sb = StringBuilder()
        for ((i, c) in camel.withIndex()) {
            if (i > 0 && c.isUpperCase()) {
                val prev = camel[i - 1]
                val next = camel.getOrNull(i + 1)
                if (prev.isLowerCase() || prev.isDigit() || (prev.isUpperCase() && next != null && next.isLowerCase())) {
                    sb.append('_')
                }
            }
            sb.append(c.uppercaseChar())
        }
        return sb.toString()
    }

    // ---- JSON -> typed ----

    /** Converts `json` ([Missing] when absent) to `type`; throws [InputError] when it does not fit. */
    fun fromJson(json: Any?, type: KType, path: String): Any? {
        if (json === Missing || json == null) {
            if (type.isMarkedNullable) return null
            throw InputError("$path: missing")
        }
        val k = type.classifier as? KClass<*> ?: throw InputError("$path: unsupported type $type")
        fun bad(): Nothing = throw InputError("$path: expected ${k.simpleName}, got ${Json.write(json)}")
        return when (k) {
            String::class -> json as? String ?: bad()
            Boolean::class -> json as? Boolean ?: bad()
            Long::class -> (json as? Long) ?: bad()
            Int::class -> (json as? Long)?.toInt() ?: bad()
            UInt::class -> (json as? Long)?.takeIf { it >= 0 }?.toUInt() ?: bad()
            ULong::class -> (json as? Long)?.takeIf { it >= 0 }?.toULong() ?: bad()
            Double::class -> (json as? Number)?.toDouble() ?: bad()
            List::class -> {
                val l = json as? List<*> ?: bad()
                val t = type.arguments[0].type!!
                l.mapIndexed { i, x -> fromJson(x, t, "$path[$i]") }
            }
            Map::class -> {
                val m = json as? Map<*, *> ?: bad()
                val t = type.arguments[1].type!!
                m.entries.associate { (mk, mv) -> mk.toString() to fromJson(mv, t, "$path.$mk") }
            }
            else -> when {
                k.java.isEnum -> k.java.enumConstants.firstOrNull { enumJson(it as Enum<*>) == json } ?: bad()
                k.isSealed -> sealedFromJson(json as? Map<*, *> ?: bad(), k, path)
                else -> objectFromJson(json as? Map<*, *> ?: bad(), k, path)
            }
        }
    }

    private fun sealedFromJson(json: Map<*, *>, k: KClass<*>, path: String): Any {
        val status = json["status"] as? String ?: throw InputError("$path: no status")
        val variant = k.sealedSubclasses.firstOrNull { screaming(it.simpleName ?: "") == status }
            ?: throw InputError("$path: unknown status $status for ${k.simpleName}")
        return variant.objectInstance ?: objectFromJson(json, variant, path)
    }

    private fun objectFromJson(json: Map<*, *>, k: KClass<*>, path: String): Any {
        val ctor = k.primaryConstructor ?: throw InputError("$path: cannot build ${k.simpleName}")
        val args = HashMap<KParameter, Any?>()
        val jsonText = jsonFieldsOf(k)
        for (p in ctor.parameters) {
            val name = p.name ?: continue
            if (FLATTENED[k] == name) {
                // The flattened record is built from the parent's own keys.
                args[p] = if (name in jsonText) Json.write(json.filterKeys { key -> ctor.parameters.none { it.name == key } })
                else fromJson(json, p.type, path)
                continue
            }
            val key = jsonName(name)
            if (name in jsonText) {
                when {
                    json.containsKey(key) -> args[p] = Json.write(json[key])
                    p.isOptional -> {}
                    else -> args[p] = "{}"
                }
                continue
            }
            val present = json.containsKey(key)
            when {
                present -> args[p] = fromJson(json[key], p.type, "$path.$key")
                p.isOptional -> {}
                p.type.isMarkedNullable -> args[p] = null
                else -> throw InputError("$path.$name: missing field")
            }
        }
        return ctor.callBy(args)!!
    }
}
