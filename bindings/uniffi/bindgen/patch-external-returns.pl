#!/usr/bin/env perl
# Run by scripts/gen-bindings on the generated Kotlin of the binding (authcore.kt, edited in place).
#
# Why: the records and enums are the core's own, generated into their own uniffi component (package
# `dev.authcore.model`, see core/uniffi.toml), and uniffi 0.32.2's Kotlin gives each component its own
# `RustBuffer` class. Where a Kotlin callback (a `Functions`/`Apis`/`EventHandler` implementation called by
# the generated JNA path) returns such a type, the generated code puts `FfiConverterType<X>.lower(returnValue)`
# (a `dev.authcore.model.RustBuffer.ByValue`) into this component's result struct, which wants a
# `dev.authcore.RustBuffer.ByValue`, and the file does not compile. The two classes are the same C struct
# over the same library's allocator, so the patch copies the three fields across, as uniffi's own
# `ExternalTypeTemplate` does for external errors. Only the converters of external types (those imported
# from the model package) are touched; the patch fails when there is nothing to patch (uniffi changed).
use strict;
use warnings;

my $file = shift or die "usage: patch-external-returns.pl authcore.kt\n";
open(my $in, '<', $file) or die "$file: $!\n";
my $text = do { local $/; <$in> };
close $in;

my %external = map { $_ => 1 } ($text =~ /^import dev\.authcore\.model\.FfiConverterType(\w+)$/mg);
die "patch-external-returns.pl: no external converters imported in $file (uniffi changed?)\n" unless %external;

my $count = 0;
$text =~ s{\bFfiConverterType(\w+)\.lower\(returnValue\),}{
    if ($external{$1}) {
        $count++;
        "FfiConverterType$1.lower(returnValue).let { b -> RustBuffer.ByValue().apply { capacity = b.capacity; len = b.len; data = b.data } },"
    } else {
        "FfiConverterType$1.lower(returnValue),"
    }
}ge;
die "patch-external-returns.pl: no external return value to patch in $file (uniffi changed?)\n" unless $count;

open(my $out, '>', $file) or die "$file: $!\n";
print $out $text;
close $out;
