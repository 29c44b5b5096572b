#!/usr/bin/env bash
# test_cli_faults.sh - I/O errors in the real binary (RILL_FAULT, see
# src/base/os.h): a full disk (write:N:ENOSPC) and a failed fsync
# (fsync:N:EIO) make `rill produce --acks all` stop with a clear error and
# exit 1, never claim durability, never corrupt a segment; a later
# `rill consume` shows every record acknowledged before, in order, once,
# and a later `rill produce` (reopen = recovery) works again.
source "$(dirname "$0")/lib.sh"
D="$TMP/data"
r() { "$RILL" "$@" --data "$D"; }

# Acknowledged baseline: 400 keyed records over 2 partitions, acks=all.
r topics create f --partitions 2 >/dev/null
seq 1 400 | sed 's/.*/k&:base&/' >"$TMP/base.txt"
r produce f --file "$TMP/base.txt" --key-separator : --acks all >"$TMP/p0.out" ||
    fail "baseline produce"
grep -q 'produced 400 records.*durable (acks=all)' "$TMP/p0.out" || fail "baseline summary"
r consume f --format '%k:%s\n' | sort >"$TMP/ack.sorted"
[ "$(wc -l <"$TMP/ack.sorted")" = 400 ] || fail "baseline count"
# Per partition, offset order of the acknowledged records.
for p in 0 1; do r consume f --partition $p --format '%o %s\n' >"$TMP/ack.$p"; done

seq 1 5000 | sed 's/.*/k&:more&/' >"$TMP/more.txt"

# check_after NAME: the acknowledged records are all there, each once, in
# their original offsets, anything after them is whole, every CRC is good.
check_after() {
    local name=$1 p
    r log dump "$D" >"$TMP/$name.dump" || fail "$name: log dump finds a bad CRC or corrupt header"
    grep -q ' 0 bad CRCs, 0 corrupt' "$TMP/$name.dump" || fail "$name: dump summary"
    for p in 0 1; do
        r consume f --partition $p --format '%o %s\n' >"$TMP/$name.$p" || fail "$name: consume p$p"
        head -n "$(wc -l <"$TMP/ack.$p")" "$TMP/$name.$p" | cmp -s - "$TMP/ack.$p" ||
            fail "$name: acknowledged records of partition $p changed"
        # Offsets dense from 0: nothing lost, nothing twice.
        awk '$1 != NR-1 { exit 1 }' "$TMP/$name.$p" || fail "$name: offsets of p$p not dense"
    done
    [ "$(r consume f --format '%k:%s\n' | grep -c ':base')" = 400 ] || fail "$name: baseline duplicated or lost"
}

# --- a full disk: the 3rd write on fails with ENOSPC ---------------------------
set +e
RILL_FAULT=write:3:ENOSPC "$RILL" produce f --file "$TMP/more.txt" --key-separator : \
    --acks all --batch-bytes 2000 --data "$D" >"$TMP/enospc.out" 2>"$TMP/enospc.err"
rc=$?
set -e
[ $rc = 1 ] || fail "ENOSPC: exit status $rc"
grep -q 'No space left on device' "$TMP/enospc.err" || fail "ENOSPC: no clear error: $(cat "$TMP/enospc.err")"
grep -q 'failed after an I/O error' "$TMP/enospc.err" || fail "ENOSPC: no FAILED message"
grep -q 'durable (acks=all)' "$TMP/enospc.out" && ! grep -q 'NOT acknowledged' "$TMP/enospc.out" &&
    fail "ENOSPC: claims durability"
grep -q 'NOT acknowledged as durable' "$TMP/enospc.out" || fail "ENOSPC: summary: $(cat "$TMP/enospc.out")"
check_after enospc
ok "write ENOSPC: exit 1 with a clear error, acknowledged records intact, every CRC good"

# --- fsync EIO at open (the 1st fsync is recovery's) ---------------------------
set +e
RILL_FAULT=fsync:1:EIO "$RILL" produce f --file "$TMP/more.txt" --data "$D" \
    --acks all >"$TMP/eio1.out" 2>"$TMP/eio1.err"
rc=$?
set -e
[ $rc = 1 ] || fail "fsync:1: exit status $rc"
grep -q 'cannot open .*Input/output error' "$TMP/eio1.err" || fail "fsync:1: message: $(cat "$TMP/eio1.err")"
check_after eio1
ok "fsync:1:EIO: refuses to open, nothing changed"

# --- fsync EIO while waiting for acks=all ---------------------------------------
# Opening 2 partitions makes 2 fsyncs; the 3rd is the acks=all group commit.
set +e
RILL_FAULT=fsync:3:EIO "$RILL" produce f --file "$TMP/more.txt" --key-separator : \
    --acks all --data "$D" >"$TMP/eio.out" 2>"$TMP/eio.err"
rc=$?
set -e
[ $rc = 1 ] || fail "fsync EIO: exit status $rc"
grep -q 'fsync failed (Input/output error)' "$TMP/eio.err" || fail "fsync EIO: message: $(cat "$TMP/eio.err")"
grep -q 'waiting for fsync of f-' "$TMP/eio.err" || fail "fsync EIO: produce did not report it"
grep -q 'NOT acknowledged as durable' "$TMP/eio.out" || fail "fsync EIO: summary: $(cat "$TMP/eio.out")"
check_after eio
ok "fsync EIO during acks=all: exit 1, not acknowledged, acknowledged records intact"

# --- reopen recovers; producing works again ----------------------------------------
before=$(r consume f | wc -l)
seq 1 10 | sed 's/.*/k&:after&/' | r produce f --key-separator : --acks all >"$TMP/p9.out" ||
    fail "produce after the faults"
grep -q 'durable (acks=all)' "$TMP/p9.out" || fail "produce after the faults: summary"
[ "$(r consume f | wc -l)" = $((before + 10)) ] || fail "count after recovery"
check_after final
ok "after the faults a plain produce recovers and appends"
