#!/usr/bin/env bash
# check-layers.sh - fails when a file includes a header from a higher layer.
# Layer order (bottom first) is ARCHITECTURE.md's; src/<layer>/x.c may include
# "<lower-or-same-layer>/y.h" only.
set -u
cd "$(dirname "$0")/.."
layers=(base net log kafka broker row stream connect sql web lib cli)
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
bad=0
for f in $(find src -name '*.[ch]'); do
    own=$(echo "$f" | cut -d/ -f2); r=$(rank "$own")
    while IFS= read -r inc; do
        dep=${inc%%/*}; d=$(rank "$dep")
        if [ "$d" -lt 0 ]; then continue; fi
        if [ "$d" -gt "$r" ]; then echo "$f: includes \"$inc\" from higher layer '$dep'"; bad=1; fi
    done < <(grep -oE '^#include "[a-z]+/[^"]+"' "$f" | sed -E 's/#include "([^"]+)"/\1/')
done
[ $bad -eq 0 ] && echo "check-layers: ok"
exit $bad
