#!/usr/bin/env bash
# check-symbols.sh LIB.so - fails when the shared library exports a symbol
# that include/rill.h does not declare with RILL_API, or when rill.h
# declares one the library does not export.
set -u
cd "$(dirname "$0")/.."
lib=${1:-build/librill.so}
if [ ! -f "$lib" ]; then echo "check-symbols: $lib not built (make all)"; exit 1; fi
declared=$(grep -oE 'RILL_API [^(]*\b(rill_[a-z_]+)\(' include/rill.h | grep -oE 'rill_[a-z_]+\($' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u)
bad=0
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -n "$extra" ] && { echo "check-symbols: exported but not in rill.h:"; echo "$extra" | sed 's/^/  /'; bad=1; }
[ -n "$missing" ] && { echo "check-symbols: in rill.h but not exported:"; echo "$missing" | sed 's/^/  /'; bad=1; }
[ $bad -eq 0 ] && echo "check-symbols: ok ($(echo "$declared" | wc -l) symbols)"
exit $bad
