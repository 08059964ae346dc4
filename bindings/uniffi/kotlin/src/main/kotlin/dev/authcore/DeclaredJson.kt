// Hand-written (not generated): the JSON that the generated Declared.kt passes to `AuthCore.call` and reads back.
package dev.authcore

/** Scalar arguments in, scalar results out, for the methods generated from the core's declaration. */
internal object DeclaredJson {
    /** A JSON object of scalar fields (`null`, booleans, integers, strings). */
    fun obj(vararg fields: Pair<String, Any?>): String = buildString {
        append('{')
        fields.forEachIndexed { i, (key, value) ->
            if (i > 0) append(',')
            quote(key)
            append(':')
            when (value) {
                null -> append("null")
                is Boolean, is Long, is Int -> append(value.toString())
                is String -> quote(value)
                else -> throw IllegalArgumentException("not a JSON scalar: ${value::class}")
            }
        }
        append('}')
    }

    private fun StringBuilder.quote(s: String) {
        append('"')
        for (c in s) {
            when {
                c == '"' -> append("\\\"")
                c == '\\' -> append("\\\\")
                c < ' ' -> append(String.format("\\u%04x", c.code))
                else -> append(c)
            }
        }
        append('"')
    }

    fun long(json: String): Long = json.trim().toLong()
    fun longOrNull(json: String): Long? = json.trim().let { if (it == "null") null else it.toLong() }
    fun boolean(json: String): Boolean = json.trim().toBooleanStrict()
    fun booleanOrNull(json: String): Boolean? = json.trim().let { if (it == "null") null else it.toBooleanStrict() }
    fun textOrNull(json: String): String? = json.trim().let { if (it == "null") null else text(it) }

    /** A JSON string literal's value. */
    fun text(json: String): String {
        val s = json.trim()
        require(s.length >= 2 && s.first() == '"' && s.last() == '"') { "not a JSON string: $s" }
        val out = StringBuilder()
        var i = 1
        while (i < s.length - 1) {
            val c = s[i]
            if (c != '\\') {
                out.append(c)
                i += 1
                continue
            }
            when (val e = s[i + 1]) {
                'u' -> {
                    out.append(s.substring(i + 2, i + 6).toInt(16).toChar())
                    i += 6
                    continue
                }
                'n' -> out.append('\n')
                't' -> out.append('\t')
                'r' -> out.append('\r')
                'b' -> out.append('\b')
                'f' -> out.append('\u000c')
                else -> out.append(e)
            }
            i += 2
        }
        return out.toString()
    }
}
