#!/usr/bin/env bash
# test_cli_log.sh - the log CLI end to end on a temp data dir, no broker:
# rill topics create/list/describe/delete, produce (keyed, murmur2 placement,
# acks=all, compression, timestamps), consume (--from beginning/end/OFFSET/
# -N/@TS, --partition, --max, --format, --follow), every command a separate
# process (so data survives a restart), and log dump finding a flipped byte.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
D=$TMP/data
r() { "$RILL" "$@" --data "$D"; }
expect_fail() { # expected message, command...
    local msg=$1; shift
    if "$@" >"$TMP/err.out" 2>&1; then fail "should fail: $*"; fi
    grep -q -- "$msg" "$TMP/err.out" || { cat "$TMP/err.out" >&2; fail "no '$msg' from: $*"; }
}

# --- topics -------------------------------------------------------------
r topics create orders --partitions 3 | grep -q 'created topic orders with 3 partitions' || fail "create"
expect_fail "already exists" r topics create orders --partitions 3
expect_fail "invalid topic name" r topics create 'bad name!' --partitions 1
expect_fail "invalid topic name" r topics create .. --partitions 1
expect_fail "segment-bytes must be 1024" r topics create small --segment-bytes 10
expect_fail "or -1 for no limit" r topics create neg --retention-ms -5
r topics create other --partitions 1 --retention-ms 60000 >/dev/null
[ "$(r topics list)" = "$(printf 'orders\nother')" ] || fail "list: $(r topics list)"
r topics describe other | grep -q 'retention.ms: 60000' || fail "describe retention"
[ "$(r topics describe orders | grep -c 'Partition: [0-2]')" = 3 ] || fail "describe partitions"
expect_fail "not found" r topics describe nope
expect_fail "not found" r topics delete nope
ok "topics create/list/describe/errors"

# --- produce 10,000 keyed lines, consume them back ---------------------------
$PY -c '
import random
random.seed(7)
for i in range(10000):
    print("key%d:value-%d-%s" % (i % 997, i, "x" * random.randint(0, 40)))
' >"$TMP/in.txt"
r produce orders --key-separator : --file "$TMP/in.txt" --acks all >"$TMP/prod.out"
grep -q 'produced 10000 records' "$TMP/prod.out" || { cat "$TMP/prod.out"; fail "produce summary"; }
grep -q 'durable (acks=all)' "$TMP/prod.out" || fail "acks=all not reported"
[ "$(grep -c '  partition [0-2]: ' "$TMP/prod.out")" = 3 ] || fail "per-partition summary"
r consume orders --from beginning --format '%k:%s\n' | sort >"$TMP/out.sorted"
sort "$TMP/in.txt" >"$TMP/in.sorted"
cmp -s "$TMP/in.sorted" "$TMP/out.sorted" || fail "consumed records differ from the input"
ok "10000 keyed records produced and consumed back exactly"

# Per partition: offsets dense from 0, input order kept, placement = Java's
# murmur2 (checked with kafka-python's independent implementation).
for p in 0 1 2; do r consume orders --partition $p --format '%p %o %k %s\n'; done >"$TMP/parts.txt"
$PY - "$TMP/parts.txt" "$TMP/in.txt" <<'PYEOF' || fail "placement/order check"
import sys
from kafka.partitioner.default import murmur2
rows = [l.rstrip("\n").split(" ", 3) for l in open(sys.argv[1])]
inp = [l.rstrip("\n") for l in open(sys.argv[2])]
per = {}
for p, o, k, v in rows:
    per.setdefault(int(p), []).append((int(o), k, v))
    want = (murmur2(k.encode()) & 0x7fffffff) % 3
    assert int(p) == want, (k, p, want)
for p, lst in per.items():
    assert [o for o, _, _ in lst] == list(range(len(lst))), "offsets not dense"
    expect = [l for l in inp if (murmur2(l.split(":", 1)[0].encode()) & 0x7fffffff) % 3 == p]
    assert ["%s:%s" % (k, v) for _, k, v in lst] == expect, "order differs"
print("placement ok", {p: len(l) for p, l in per.items()})
PYEOF
# The reference vectors: kafka -> 1, giberish123456789 -> 2, 1234 -> 0.
r topics create vec --partitions 3 >/dev/null
printf 'kafka=a\ngiberish123456789=b\n1234=c\n' | r produce vec --key-separator = --quiet
[ "$(r consume vec --format '%k=%p\n' | sort | tr '\n' ' ')" = "1234=0 giberish123456789=2 kafka=1 " ] || fail "murmur2 vectors"
ok "murmur2 placement matches Java (reference vectors + kafka-python)"

# Unkeyed records go sticky: whole batches rotate over the partitions.
seq 1 3000 | r produce spread --partitions 3 --batch-bytes 1024 >"$TMP/spread.out"
[ "$(grep -c '  partition [0-2]: ' "$TMP/spread.out")" = 3 ] || { cat "$TMP/spread.out"; fail "unkeyed records not spread"; }
[ "$(r consume spread | sort -n | tr '\n' ' ')" = "$(seq 1 3000 | tr '\n' ' ')" ] || fail "unkeyed round trip"
for p in 0 1 2; do r consume spread --partition $p | sort -nc || fail "partition $p out of order"; done
ok "unkeyed records spread batch by batch (sticky), order kept per partition"

# --- --from, --max, --format ---------------------------------------------
[ "$(r consume orders --partition 1 --from 5 --max 3 --format '%o\n' | tr '\n' ' ')" = "5 6 7 " ] || fail "--from OFFSET --max"
[ "$(r consume orders --max 7 | wc -l)" = 7 ] || fail "--max"
n1=$(r consume orders --partition 1 --format '%o\n' | tail -1)
[ "$(r consume orders --partition 1 --from -2 --format '%o\n' | tr '\n' ' ')" = "$((n1 - 1)) $n1 " ] || fail "--from -2"
[ -z "$(r consume orders --from end)" ] || fail "--from end should print nothing"
line=$(r consume vec --partition 1 --format 'T=%t\tP=%p\tO=%o\tK=%k\tV=%s\tKS=%K\tVS=%S%%\n')
[ "$line" = "$(printf 'T=vec\tP=1\tO=0\tK=kafka\tV=a\tKS=5\tVS=1%%')" ] || fail "--format: $line"
printf 'a1\na2\na3\n' | r produce ts --timestamp 1000 --quiet
printf 'b1\nb2\n' | r produce ts --timestamp 2000 --quiet
[ "$(r consume ts --from @1500 | tr '\n' ' ')" = "b1 b2 " ] || fail "--from @1500"
[ "$(r consume ts --from @1000 --max 1)" = "a1" ] || fail "--from @1000"
[ -z "$(r consume ts --from @2001)" ] || fail "--from @2001"
[ "$(r consume ts --from @0 --format '%T\n' | tr '\n' ' ')" = "1000 1000 1000 2000 2000 " ] || fail "%T"
expect_fail "not found" r consume nope
expect_fail "no partition 9" r consume orders --partition 9
expect_fail "must be >= 0" r consume orders --partition -1
expect_fail "must be >= 0" r consume orders --max -3
ok "consume --from OFFSET/-N/end/@TS, --max, --format"

# --- a second produce continues the offsets (data survived the restart) ----
printf 'k:late\n' | r produce other --key-separator : >"$TMP/p2.out"
printf 'k:later\n' | r produce other --key-separator : >"$TMP/p3.out"
grep -q 'offsets 1..1' "$TMP/p3.out" || { cat "$TMP/p3.out"; fail "offsets after reopen"; }
[ "$(r consume other | tr '\n' ' ')" = "late later " ] || fail "reopen read"
r topics describe orders | grep -q 'HighWatermark: [1-9]' || fail "describe HWM"
ok "second process appends after the first (restart)"

# --- compression -----------------------------------------------------------
for c in gzip snappy lz4 zstd; do
    r produce "comp-$c" --compression $c --file "$TMP/in.txt" --quiet
    # No separator: the whole line is the value; one partition keeps order.
    cmp -s <(r consume "comp-$c") "$TMP/in.txt" || fail "compressed $c round trip"
    r log dump "$D/comp-$c-0" >"$TMP/dump-$c.out" || fail "log dump $c"
    grep -q "compresscodec: $c" "$TMP/dump-$c.out" || fail "log dump codec $c"
done
sz_none=$(r topics describe orders | awk '{for(i=1;i<=NF;i++) if($i=="SizeBytes:") s+=$(i+1)} END{print s}')
sz_zstd=$(r topics describe comp-zstd | awk '{for(i=1;i<=NF;i++) if($i=="SizeBytes:") s+=$(i+1)} END{print s}')
[ "$sz_zstd" -lt "$sz_none" ] || fail "zstd not smaller ($sz_zstd vs $sz_none)"
ok "gzip/snappy/lz4/zstd batches produced, consumed and dumped"

# --- log dump detects a flipped byte in a copy of a segment ---------------
r log dump "$D/orders-0" >"$TMP/dump.out" || fail "log dump of a good partition"
grep -q 'crcValid: true' "$TMP/dump.out" || fail "dump shows no CRC"
r log dump "$D" --records >"$TMP/dump-all.out" || fail "log dump of the data dir"
grep -q '^| offset: 0 CreateTime' "$TMP/dump-all.out" || fail "dump --records"
seg=$(ls "$D"/orders-0/*.log | head -1)
cp "$seg" "$TMP/copy.log"
size=$(stat -c %s "$TMP/copy.log")
$PY -c "
import sys
f = open('$TMP/copy.log', 'r+b'); f.seek($size // 2); b = f.read(1); f.seek($size // 2)
f.write(bytes([b[0] ^ 0x20]))"
if "$RILL" log dump "$TMP/copy.log" >"$TMP/bad.out"; then fail "flipped byte not detected"; fi
grep -q 'crcValid: BAD' "$TMP/bad.out" || fail "no BAD crc line"
grep -q 'Summary: 1 files, .* 1 bad CRCs' "$TMP/bad.out" || fail "summary: $(tail -1 "$TMP/bad.out")"
"$RILL" log dump "$seg" >/dev/null || fail "original segment reported bad"
# The summary counts records with or without --records.
nrec=$(r consume orders --partition 0 | wc -l)
"$RILL" log dump "$D/orders-0" | grep -q "Summary: 1 files, [0-9]* batches, $nrec records, 0 bad CRCs" ||
    fail "dump summary record count: $("$RILL" log dump "$D/orders-0" | tail -1)"
# An explicit .index lists its entries (absolute offset -> position).
"$RILL" log dump "${seg%.log}.index" >"$TMP/idx.out" || fail "dump of an .index"
grep -q '^offset: [0-9]* position: [0-9]*$' "$TMP/idx.out" || fail "no index entries: $(head -3 "$TMP/idx.out")"
grep -q '^[0-9]* index entries$' "$TMP/idx.out" || fail "index summary"
"$RILL" log dump "${seg%.log}.timeindex" | grep -q '^timestamp: [0-9]* offset: [0-9]*$' || fail "no timeindex entries"
ok "log dump: good segments pass, a flipped byte fails with BAD"

# --- --follow ------------------------------------------------------------------
r topics create live --partitions 2 >/dev/null
"$RILL" consume live --follow --format '%s\n' --data "$D" >"$TMP/follow.out" 2>"$TMP/follow.err" &
fpid=$!; PIDS+=("$fpid")
sleep 0.5
seq 1 50 | r produce live --quiet
for i in $(seq 1 100); do [ "$(wc -l <"$TMP/follow.out")" -ge 50 ] && break; sleep 0.1; done
[ "$(sort -n "$TMP/follow.out" | tr '\n' ' ')" = "$(seq 1 50 | tr '\n' ' ')" ] || fail "follow saw: $(wc -l <"$TMP/follow.out") lines"
kill -TERM "$fpid"
wait "$fpid" || fail "follow exit status after SIGTERM"
# --follow with --max stops by itself.
timeout 10 "$RILL" consume live --follow --max 5 --data "$D" >"$TMP/f2.out" || fail "follow --max"
[ "$(wc -l <"$TMP/f2.out")" = 5 ] || fail "follow --max count"
# --from end --follow: only what is appended after it started.
"$RILL" consume live --from end --follow --max 3 --data "$D" >"$TMP/f3.out" 2>&1 &
f3=$!; PIDS+=("$f3")
sleep 1
seq 101 103 | r produce live --quiet --partition 1
for i in $(seq 1 100); do kill -0 "$f3" 2>/dev/null || break; sleep 0.1; done
wait "$f3" || fail "--from end --follow exit status"
[ "$(tr '\n' ' ' <"$TMP/f3.out")" = "101 102 103 " ] || fail "--from end --follow saw: $(cat "$TMP/f3.out")"
ok "--follow sees another process's appends, stops on SIGTERM or --max; --from end skips the old ones"

# --- delete -----------------------------------------------------------------
r topics delete orders | grep -q 'deleted topic orders' || fail "delete"
r topics list | grep -qx orders && fail "deleted topic still listed"
[ ! -e "$D/orders-0" ] || fail "partition dir left behind"
expect_fail "not found" r topics delete orders
ok "topics delete"
# --- segment roll and retention (bytes, time) from the CLI ---------------------
r topics create rb --partitions 1 --retention-bytes 4000 --segment-bytes 1024 >/dev/null
r topics describe rb | grep -q 'retention.bytes: 4000.*segment.bytes: 1024' || fail "describe rb config"
seq 1 2000 | r produce rb --batch-bytes 400 >/dev/null 2>"$TMP/rb.err" || fail "produce rb"
grep -q 'retention deleted [0-9]* old segment' "$TMP/rb.err" || fail "no retention message"
desc=$(r topics describe rb | grep 'Partition: 0')
start=$(sed 's/.*LogStartOffset: \([0-9]*\).*/\1/' <<<"$desc")
size=$(sed 's/.*SizeBytes: \([0-9]*\).*/\1/' <<<"$desc")
segs=$(sed 's/.*Segments: \([0-9]*\).*/\1/' <<<"$desc")
grep -q 'HighWatermark: 2000' <<<"$desc" || fail "rb hwm: $desc"
[ "$start" -gt 0 ] && [ "$segs" -gt 1 ] || fail "rb: no roll or no retention: $desc"
# Kafka's rule: delete while the rest is still >= retention.bytes.
[ "$size" -ge 4000 ] && [ "$size" -lt 6000 ] || fail "rb size after retention: $desc"
[ "$(ls "$D/rb-0" | grep -c '\.log$')" = "$segs" ] || fail "rb: segment files != Segments"
[ "$(r consume rb --max 1 --format '%o %s\n')" = "$start $((start + 1))" ] || fail "rb: consume from log start"
[ "$(r consume rb | wc -l)" = $((2000 - start)) ] || fail "rb: consume count"
# Age: segment.ms rolls the active segment once it is that old, also when
# the writer is a new process (the age comes from the file's birth time).
r topics create ag --partitions 1 --segment-ms 300 >/dev/null
r topics describe ag | grep -q 'segment.ms: 300' || fail "describe segment.ms"
seq 1 10 | r produce ag >/dev/null || fail "produce ag"
sleep 0.5
seq 11 20 | r produce ag >/dev/null || fail "produce ag again"
r topics describe ag | grep -q 'HighWatermark: 20.*Segments: 2$' || fail "ag: no roll by age: $(r topics describe ag)"
[ "$(r consume ag | wc -l)" = 20 ] || fail "ag: consume across rolled segments"
expect_fail "segment-ms must be >= 1" r topics create ag0 --segment-ms 0
ok "segment roll by age"
# Time: records stamped 1970 are older than retention.ms; every sealed
# segment goes, the active one stays.
r topics create rt --partitions 1 --retention-ms 60000 --segment-bytes 1024 >/dev/null
seq 1 500 | r produce rt --batch-bytes 400 --timestamp 1000 >/dev/null 2>&1 || fail "produce rt"
r topics describe rt | grep -q 'LogStartOffset: [1-9][0-9]*.*HighWatermark: 500.*Segments: 1$' ||
    fail "rt: time retention: $(r topics describe rt)"
seq 1 500 | r produce rt --batch-bytes 400 >/dev/null 2>&1 || fail "produce rt now"
r topics describe rt | grep -q 'Segments: [2-9]' || fail "rt: fresh records must stay"
ok "segments roll at segment.bytes; produce applies retention.bytes and retention.ms"

# --- a torn tail: dump reports it, consume stops before it, produce cuts it --
seq 1 100 | r produce torn --batch-bytes 200 --quiet
tseg="$D/torn-0/00000000000000000000.log"
truncate -s -5 "$tseg"
r log dump "$tseg" >"$TMP/torn.out" || fail "dump of a torn segment"
grep -q '^PARTIAL batch at position' "$TMP/torn.out" || fail "torn tail not reported"
last=$(r consume torn --format '%o\n' 2>/dev/null | tail -1)
[ "$last" -lt 99 ] && [ "$(r consume torn 2>/dev/null | wc -l)" = $((last + 1)) ] || fail "consume over a torn tail: last $last"
printf 'x\ny\n' | r produce torn --format-unused 2>/dev/null && fail "unknown flag accepted"
printf 'x\ny\n' | r produce torn 2>/dev/null | grep -q "offsets $((last + 1))..$((last + 2))" || fail "offsets after the cut"
r log dump "$tseg" | grep -q 'PARTIAL' && fail "torn tail still there after reopen"
[ "$(r consume torn 2>/dev/null | tail -2 | tr '\n' ' ')" = "x y " ] || fail "records after the cut"
ok "torn tail: PARTIAL in dump, consume stops at the last whole batch, produce truncates it"

# --- RILL_DATA and the default ./rill-data -------------------------------------
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$RILL" topics create dflt --partitions 2 >/dev/null) || fail "create in ./rill-data"
[ -f "$TMP/cwd/rill-data/topics/dflt.properties" ] || fail "default data dir is not ./rill-data"
export RILL_DATA="$TMP/envdata"
"$RILL" topics create envt --partitions 1 >/dev/null || fail "create with RILL_DATA"
[ -d "$RILL_DATA/envt-0" ] || fail "RILL_DATA not used"
echo 'k:v' | "$RILL" produce envt --key-separator : >/dev/null || fail "produce with RILL_DATA"
[ "$("$RILL" consume envt --format '%k=%s')" = "k=v" ] || fail "consume with RILL_DATA"
"$RILL" log dump "$RILL_DATA" | grep -q ' 0 bad CRCs' || fail "log dump with RILL_DATA"
[ "$("$RILL" topics list)" = envt ] || fail "list with RILL_DATA"
"$RILL" topics describe envt | grep -q 'HighWatermark: 1' || fail "describe with RILL_DATA"
# --data wins over RILL_DATA.
[ "$("$RILL" topics list --data "$TMP/cwd/rill-data")" = dflt ] || fail "--data over RILL_DATA"
"$RILL" topics delete envt >/dev/null || fail "delete with RILL_DATA"
unset RILL_DATA
ok "RILL_DATA on every command, --data wins, default ./rill-data"
echo "PASS test_cli_log"
