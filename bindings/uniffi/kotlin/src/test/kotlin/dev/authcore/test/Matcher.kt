package dev.authcore.test

/**
 * The scenario matcher, a port of core/tests/common/matcher.rs: `$capture`, `$ref`, `$any`, `$absent`, `$set`,
 * `$len`, `$ne`, `$notIn`, `$startsWith`, `$gt`, `$gte`, `$keys`. Values are those of [Json]; a missing key is
 * [Missing].
 */
object Missing

class MatchFailure(message: String) : Exception(message)

typealias Captures = MutableMap<String, Any?>

object Matcher {
    /** Replace `{"$ref": name}` anywhere in `v` by the captured value. */
    fun resolve(v: Any?, caps: Map<String, Any?>): Any? = when (v) {
        is Map<*, *> -> if (v.size == 1 && v.containsKey("\$ref")) {
            val name = v["\$ref"] as? String ?: throw MatchFailure("\$ref needs a string")
            if (!caps.containsKey(name)) throw MatchFailure("nothing captured as '$name'")
            caps[name]
        } else {
            val out = LinkedHashMap<String, Any?>()
            for ((k, x) in v) out[k as String] = resolve(x, caps)
            out
        }
        is List<*> -> v.map { resolve(it, caps) }
        else -> v
    }

    private fun num(v: Any?): Double? = (v as? Number)?.toDouble()

    private fun eq(a: Any?, b: Any?): Boolean {
        val x = num(a)
        val y = num(b)
        return if (x != null && y != null) x == y else Json.equal(a, b)
    }

    private fun show(v: Any?): String = if (v === Missing) "<missing>" else Json.write(v)

    /** Match `actual` ([Missing] = key missing) against `expected`, at `path`; throws [MatchFailure]. */
    fun matches(expected: Any?, actual: Any?, caps: Captures, path: String) {
        val present: Any? = if (actual === Missing || actual == null) null else actual
        if (expected is Map<*, *>) {
            if (expected.size == 1) {
                val (k, arg) = expected.entries.first()
                when (k) {
                    "\$capture" -> {
                        val name = arg as? String ?: throw MatchFailure("\$capture needs a string")
                        val a = present ?: throw MatchFailure("$path: expected a value to capture as '$name'")
                        if (caps.containsKey(name)) {
                            val prev = caps[name]
                            if (!eq(prev, a)) throw MatchFailure("$path: '$name' was ${show(prev)}, now ${show(a)}")
                        } else {
                            caps[name] = a
                        }
                        return
                    }
                    "\$ref" -> {
                        val want = resolve(expected, caps)
                        if (actual !== Missing && eq(want, actual)) return
                        throw MatchFailure("$path: expected ${show(want)} (ref), got ${show(actual)}")
                    }
                    "\$any" -> {
                        if (present != null) return
                        throw MatchFailure("$path: expected a value, got ${show(actual)}")
                    }
                    "\$absent" -> {
                        if (present == null) return
                        throw MatchFailure("$path: expected absent, got ${show(present)}")
                    }
                    "\$len" -> {
                        val n = (arg as? Number)?.toLong() ?: throw MatchFailure("\$len needs a number")
                        val len = when (present) {
                            is List<*> -> present.size.toLong()
                            is String -> present.codePointCount(0, present.length).toLong()
                            else -> throw MatchFailure("$path: expected array of length $n, got ${show(actual)}")
                        }
                        if (len == n) return
                        throw MatchFailure("$path: expected length $n, got $len")
                    }
                    "\$set" -> {
                        val want = arg as? List<*> ?: throw MatchFailure("\$set needs an array")
                        val got = present as? List<*> ?: throw MatchFailure("$path: expected array, got ${show(actual)}")
                        if (want.size != got.size) {
                            throw MatchFailure(
                                "$path: expected ${want.size} elements (any order), got ${got.size}: ${show(got)}"
                            )
                        }
                        val used = BooleanArray(got.size)
                        for ((i, w) in want.withIndex()) {
                            var found = false
                            for ((j, g) in got.withIndex()) {
                                if (used[j]) continue
                                val trial = HashMap(caps)
                                if (tryMatch(w, g, trial, "$path[$j]")) {
                                    caps.clear()
                                    caps.putAll(trial)
                                    used[j] = true
                                    found = true
                                    break
                                }
                            }
                            if (!found) {
                                throw MatchFailure("$path: no element matches expected[$i] = ${show(w)} in ${show(got)}")
                            }
                        }
                        return
                    }
                    "\$ne" -> {
                        if (tryMatch(arg, actual, HashMap(caps), path)) {
                            throw MatchFailure("$path: expected not ${show(arg)}, got ${show(actual)}")
                        }
                        return
                    }
                    "\$notIn" -> {
                        val list = arg as? List<*> ?: throw MatchFailure("\$notIn needs an array")
                        for (m in list) {
                            if (tryMatch(m, actual, HashMap(caps), path)) {
                                throw MatchFailure("$path: ${show(actual)} matches excluded ${show(m)}")
                            }
                        }
                        return
                    }
                    "\$startsWith" -> {
                        val p = arg as? String ?: throw MatchFailure("\$startsWith needs a string")
                        val s = present as? String
                        if (s != null && s.startsWith(p)) return
                        throw MatchFailure("$path: expected a string starting with \"$p\", got ${show(actual)}")
                    }
                    "\$gt", "\$gte" -> {
                        val bound = num(resolve(arg, caps)) ?: throw MatchFailure("bound is not a number")
                        val got = num(present) ?: throw MatchFailure("$path: expected a number, got ${show(actual)}")
                        val ok = if (k == "\$gt") got > bound else got >= bound
                        if (ok) return
                        throw MatchFailure("$path: $got is not $k $bound")
                    }
                    else -> {}
                }
            }
            val got = actual as? Map<*, *> ?: throw MatchFailure("$path: expected object, got ${show(actual)}")
            val keys = expected["\$keys"]
            if (keys != null) {
                val want = (keys as? List<*> ?: throw MatchFailure("\$keys needs an array"))
                    .filterIsInstance<String>().sorted()
                val have = got.keys.map { it.toString() }.sorted()
                if (want != have) throw MatchFailure("$path: expected keys $want, got $have")
            }
            for ((k, w) in expected) {
                if (k == "\$keys") continue
                val a = if (got.containsKey(k)) got[k] else Missing
                matches(w, a, caps, "$path.$k")
            }
            return
        }
        if (expected is List<*>) {
            val got = actual as? List<*> ?: throw MatchFailure("$path: expected array, got ${show(actual)}")
            if (expected.size != got.size) {
                throw MatchFailure("$path: expected ${expected.size} elements, got ${got.size}: ${show(got)}")
            }
            for (i in expected.indices) matches(expected[i], got[i], caps, "$path[$i]")
            return
        }
        if (actual !== Missing && eq(expected, actual)) return
        if (actual === Missing && expected == null) return
        throw MatchFailure("$path: expected ${show(expected)}, got ${show(actual)}")
    }

    private fun tryMatch(expected: Any?, actual: Any?, caps: Captures, path: String): Boolean = try {
        matches(expected, actual, caps, path)
        true
    } catch (e: MatchFailure) {
        false
    }
}
