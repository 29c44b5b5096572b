#!/usr/bin/env bash
# test_librill.sh - librill as a user gets it: `make install` into a
# prefix, then examples/embed/embed.c compiled with pkg-config against the
# installed shared library and, separately, the static one; both runs
# print the same windows and alerts; the shared library exports only
# rill.h's functions.
set -eu
root=${RILL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
rill=${RILL:-$root/build/rill}
build=$(dirname "$rill")
case "$build" in /*) ;; *) build="$root/$build";; esac
tmp=$(mktemp -d /tmp/rill-librill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

bash "$root/scripts/check-symbols.sh" "$build/librill.so" || fail "exported symbols differ from rill.h"

make -C "$root" --no-print-directory BUILD="$build" PREFIX="$tmp/prefix" install >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; fail "make install"; }
for f in bin/rill include/rill.h lib/librill.so.0 lib/librill.so lib/librill.a lib/pkgconfig/rill.pc; do
    [ -e "$tmp/prefix/$f" ] || fail "make install did not install $f"
done
echo "ok: make install put the binary, header, libraries and rill.pc in the prefix"

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
[ "$(pkg-config --modversion rill)" = "$(sed -n 's/^#define RILL_VERSION "\(.*\)"/\1/p' "$root/include/rill.h")" ] \
    || fail "pkg-config --modversion rill"
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/embed" "$root/examples/embed/embed.c" \
    $(pkg-config --cflags --libs rill) || fail "compiling embed.c against the installed shared library"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/embed" "$tmp/d1" >"$tmp/out1" 2>&1 || { cat "$tmp/out1"; fail "embed (shared)"; }
tail -1 "$tmp/out1" | grep -qE "^windows 30 alerts 8 bearing [1-8]$" || { tail -5 "$tmp/out1"; fail "embed (shared) output"; }
grep -qx "rows_in 3000 spikes 8" "$tmp/out1" || fail "embed: the window query read every pushed row"
# The bearing pattern fires only on m3 (the machine whose bearing heats),
# each time a spike is followed by +3 C within 60 s.
[ "$(grep -c '^BEARING ' "$tmp/out1")" -ge 1 ] || fail "no bearing alert"
grep '^BEARING ' "$tmp/out1" | grep -v '"machine":"m3"' && fail "a bearing alert on a healthy machine"
grep '^BEARING ' "$tmp/out1" | head -1 | grep -q '"spike_g":9.5' || fail "the bearing alert names the spike"
echo "ok: embed built with pkg-config against librill.so: 30 windows, 8 alerts, bearing alerts on m3 only, 3000 rows in"

cc -std=c11 -Wall -Wextra -Werror -o "$tmp/embed_static" "$root/examples/embed/embed.c" \
    $(pkg-config --cflags rill) "$tmp/prefix/lib/librill.a" \
    $(pkg-config --static --libs rill | sed 's/-L[^ ]*//; s/-lrill//') || fail "static link"
"$tmp/embed_static" "$tmp/d2" >"$tmp/out2" 2>&1 || { cat "$tmp/out2"; fail "embed (static)"; }
sort "$tmp/out1" >"$tmp/s1"; sort "$tmp/out2" >"$tmp/s2"
cmp -s "$tmp/s1" "$tmp/s2" || { diff "$tmp/s1" "$tmp/s2" | head; fail "static and shared runs differ"; }
echo "ok: the statically linked program prints the same rows"

LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/embed" :memory: >"$tmp/out4" 2>&1 || { cat "$tmp/out4"; fail "embed :memory:"; }
sort "$tmp/out4" >"$tmp/s4"
cmp -s "$tmp/s1" "$tmp/s4" || { diff "$tmp/s1" "$tmp/s4" | head; fail "in-memory and on-disk runs differ"; }
echo "ok: the in-memory engine (no file, no thread) prints the same windows and alerts"

# The same SQL through `rill run` gives the same windows.
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/embed" "$tmp/d1" >"$tmp/out3" 2>&1 && fail "a second run re-creating the stream must fail"
grep -q "already exists" "$tmp/out3" || { cat "$tmp/out3"; fail "the error names the cause"; }
echo "ok: a second run on the same directory is refused with the SQL error"
"$rill" consume per_machine --data "$tmp/d2" --from beginning --format '%s\n' 2>/dev/null | sort >"$tmp/c2"
grep '^window ' "$tmp/out2" | sed 's/^window //' | sort >"$tmp/w2"
cmp -s "$tmp/c2" "$tmp/w2" || { diff "$tmp/c2" "$tmp/w2" | head; fail "rill consume reads the same windows"; }
echo "ok: the engine's data directory is an ordinary rill data directory (rill consume reads the windows)"
