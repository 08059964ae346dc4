#!/usr/bin/env perl
# Run by scripts/gen-bindings on the generated Kotlin (authcore.kt, edited in place): makes the methods of the
# generated `UserContext` class call the Kotlin facade's JNI path (`ContextCalls` in
# bindings/uniffi/kotlin/src/main/kotlin/dev/authcore/AuthCore.kt; bindings/uniffi/src/jvm_context.rs).
#
# Why a patch: Kotlin users call `getString`/`setBool`/... on the generated class itself (it is the type of every
# `userContext` parameter, also in the generated `Functions` interface they implement), so only the class can
# route them; through uniffi's JNA code each such call costs ~40 us. The patch
#   * renames uniffi's methods to `uniffiJna<Name>` (kept: the tests compare both paths),
#   * adds one-line overrides that call `ContextCalls`, a lending pair (`uniffiLendHandle`/`uniffiEndLend`,
#     the generated `callWithHandle` without its JNA clone), and a constructor for a handle the engine hands to
#     a Kotlin hook (released through JNI), so the facade needs no reflection into the class.
# Every edit must apply exactly once; otherwise (uniffi changed) it fails and leaves the file untouched.
use strict;
use warnings;

my $file = shift or die "usage: patch-user-context.pl authcore.kt\n";
open(my $in, '<', $file) or die "$file: $!\n";
my $text = do { local $/; <$in> };
close $in;

sub fail { die "patch-user-context.pl: $_[0] in $file (uniffi changed?)\n" }

my $start = index($text, "\nopen class UserContext: Disposable, AutoCloseable, UserContextInterface\n");
fail("no generated UserContext class") if $start < 0;
my $end = index($text, "\npublic object FfiConverterTypeUserContext:", $start);
fail("no FfiConverterTypeUserContext after the class") if $end < 0;
my $class = substr($text, $start, $end - $start);

my @methods = qw(getBool getJson getString isSameRequest keys remove setBool setJson setString toJson);
for my $m (@methods) {
    my $n = () = $class =~ /override fun `\Q$m\E`\(/g;
    fail("expected one generated `$m`, found $n") if $n != 1;
    my $renamed = 'uniffiJna' . ucfirst($m);
    $class =~ s/override fun `\Q$m\E`\(/internal fun `$renamed`(/;
}

my $insert = <<'KOTLIN';
    // ---- Inserted by scripts/gen-bindings (bindings/uniffi/bindgen/patch-user-context.pl), not uniffi: the
    // methods call the Kotlin facade's JNI path (`ContextCalls`: one JNI call each instead of several JNA
    // calls); uniffi's own versions are above, as `uniffiJna...`.

    /**
     * @suppress
     * A handle the engine handed to a Kotlin hook (owned by this object), released by [release] when the
     * object is closed or collected (through JNI: the generated free goes through JNA).
     */
    internal constructor(uniffiOwnedHandle: Long, release: Runnable) {
        this.handle = uniffiOwnedHandle
        this.cleanable = UniffiLib.CLEANER.register(this, release)
    }

    /**
     * @suppress
     * The handle, lent for one native call: holds the call counter as [callWithHandle] does (a concurrent
     * [close] cannot free it), without cloning the handle. Always pair with [uniffiEndLend].
     */
    internal fun uniffiLendHandle(): Long {
        do {
            val c = this.callCounter.get()
            if (c == 0L) {
                throw IllegalStateException("${this.javaClass.simpleName} object has already been destroyed")
            }
            if (c == Long.MAX_VALUE) {
                throw IllegalStateException("${this.javaClass.simpleName} call counter would overflow")
            }
        } while (! this.callCounter.compareAndSet(c, c + 1L))
        if (handle == 0.toLong()) {
            uniffiEndLend()
            throw InternalException("uniffiCloneHandle() called on NoHandle object")
        }
        return handle
    }

    /** @suppress The end of a [uniffiLendHandle]. */
    internal fun uniffiEndLend() {
        if (this.callCounter.decrementAndGet() == 0L) {
            cleanable?.clean()
        }
    }

    override fun `getBool`(`key`: kotlin.String): kotlin.Boolean? = ContextCalls.getBool(this, `key`)

    override fun `getJson`(`key`: kotlin.String): kotlin.String? = ContextCalls.getJson(this, `key`)

    override fun `getString`(`key`: kotlin.String): kotlin.String? = ContextCalls.getString(this, `key`)

    override fun `isSameRequest`(`other`: UserContext): kotlin.Boolean = ContextCalls.isSameRequest(this, `other`)

    override fun `keys`(): List<kotlin.String> = ContextCalls.keys(this)

    override fun `remove`(`key`: kotlin.String) = ContextCalls.remove(this, `key`)

    override fun `setBool`(`key`: kotlin.String, `value`: kotlin.Boolean) = ContextCalls.setBool(this, `key`, `value`)

    @Throws(AuthException::class)
    override fun `setJson`(`key`: kotlin.String, `valueJson`: kotlin.String) = ContextCalls.setJson(this, `key`, `valueJson`)

    override fun `setString`(`key`: kotlin.String, `value`: kotlin.String) = ContextCalls.setString(this, `key`, `value`)

    override fun `toJson`(): kotlin.String = ContextCalls.toJson(this)
    // ---- End of the inserted part.

KOTLIN

my $anchor = "\n    companion object {\n";
my $n = () = $class =~ /\Q$anchor\E/g;
fail("expected one companion object in UserContext, found $n") if $n != 1;
my $at = index($class, $anchor);
substr($class, $at + 1, 0) = $insert;

substr($text, $start, $end - $start) = $class;
open(my $out, '>', $file) or die "$file: $!\n";
print $out $text;
close $out;
