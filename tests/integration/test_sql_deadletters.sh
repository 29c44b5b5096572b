#!/usr/bin/env bash
# test_sql_deadletters.sh - every counted dead letter is in <stream>.dlq:
# 2,500 bad records among 5,000 (random bytes that are not UTF-8, and one
# 600 KB value) read by a persistent query. Each one is in readings.dlq as
# a JSON object that is valid UTF-8 (base64 for values that are not), the
# big one truncated and marked so, and DESCRIBE's count matches the topic.
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (sensor_id STRING, value DOUBLE)
  WITH (topic = 'readings', format = 'json', partitions = 1);
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"

/usr/bin/python3 - "$TMP/in.bin" <<'EOF' || fail "generate"
import random, sys
random.seed(7)
with open(sys.argv[1], "wb") as f:
    for i in range(5000):
        if i % 2 == 0:
            f.write(b'{"sensor_id":"s%d","value":%d}\n' % (i % 50, i))
        elif i == 2501:
            f.write(b"x" * 600000 + b"\n")
        else:
            n = random.randint(1, 300)
            f.write(bytes(random.choice(range(0x80, 0x100)) for _ in range(n)) + b"\n")
EOF
"$RILL" produce readings --file "$TMP/in.bin" --data "$D" >/dev/null || fail "produce"

cat >"$TMP/q.sql" <<'EOF'
CREATE STREAM good AS SELECT sensor_id, value FROM readings;
DESCRIBE q_1;
EOF
out=$(timeout 60 "$RILL" run "$TMP/q.sql" --data "$D" --until-idle) || fail "run: $out"
"$RILL" consume readings.dlq --data "$D" >"$TMP/dlq.txt" || fail "consume dlq"
/usr/bin/python3 - "$TMP/dlq.txt" <<'EOF' || fail "dead letters"
import base64, json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")  # strict: every dead letter is valid UTF-8
rows = [json.loads(l) for l in text.splitlines()]
assert len(rows) == 2500, "dead letters in readings.dlq: %d, want 2500" % len(rows)
offsets = sorted(r["offset"] for r in rows)
assert offsets == list(range(1, 5000, 2)), "offsets differ"
big = [r for r in rows if r["offset"] == 2501][0]
assert big["truncated"] is True and big["value_bytes"] == 600000, big.keys()
assert big["value"] == "x" * 65536, len(big["value"])
b64 = [r for r in rows if "value_base64" in r]
# random bytes >= 0x80 are rarely well-formed UTF-8; those that are stay text
assert len(b64) > 2400, len(b64)
for r in rows:
    if r["offset"] != 2501 and "value" in r:
        assert len(r["value"].encode("utf-8")) == r["value_bytes"]
for r in b64:
    v = base64.b64decode(r["value_base64"])
    assert len(v) == r["value_bytes"] and all(c >= 0x80 for c in v)
print("ok")
EOF
{ echo "$out" || true; } | grep -q "^dead letters: " || fail "DESCRIBE: $out"
ok "2,500 dead letters (one of 600 KB, 2,499 not UTF-8) all in readings.dlq, valid JSON"
