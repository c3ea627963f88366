#!/bin/sh
# Runs tracelink inside Fluent Bit over the bundled sample logs and prints the linked records
# (examples/local/fluent-bit.conf). Run from anywhere in the clone: examples/local/try.sh
#
# Fluent Bit is found as CI finds it: $FLUENT_BIT_BIN, else fluent-bit on PATH, else
# ../shared/fluent-bit/bin/fluent-bit beside the clone. Needs the plugin: make build.
set -eu
cd "$(dirname "$0")/../.."
fb=${FLUENT_BIT_BIN:-}
[ -n "$fb" ] || fb=$(command -v fluent-bit 2>/dev/null || true)
[ -n "$fb" ] || { [ -x ../shared/fluent-bit/bin/fluent-bit ] && fb="$(cd .. && pwd)/shared/fluent-bit/bin/fluent-bit"; } || true
if [ -z "$fb" ]; then
	echo "try.sh: no Fluent Bit found (FLUENT_BIT_BIN, fluent-bit on PATH, ../shared/fluent-bit/bin/fluent-bit)." >&2
	echo "        Install one (https://docs.fluentbit.io/manual/installation/getting-started-with-fluent-bit)" >&2
	echo "        or point FLUENT_BIT_BIN at a fluent-bit binary (v3.0 or later; see the README's Fluent Bit versions), then run this again." >&2
	exit 1
fi
so=build/out_tracelink.so
[ -f "$so" ] || { echo "try.sh: $so is missing: run make build first" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/tracelink-try.XXXXXX")
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# Every sample line becomes one record (an empty line too, as the CLI reads it).
want=$(cat testdata/input/*.log | wc -l)
TRACELINK_TRY_DIR=$dir "$fb" -e "$so" -c examples/local/fluent-bit.conf >"$dir/out" 2>"$dir/log" &
pid=$!
# Wait until every record came back (or 30 s), then stop Fluent Bit.
i=0
while [ "$(wc -l <"$dir/out")" -lt "$want" ] && [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
cat "$dir/out"
got=$(wc -l <"$dir/out")
linked=$(grep -c '"logging.googleapis.com/trace"' "$dir/out" || true)
echo "try.sh: Fluent Bit ($fb) printed $got records for $want sample lines; $linked linked (with logging.googleapis.com/trace)" >&2
if [ "$got" -lt "$want" ]; then
	echo "try.sh: records are missing; Fluent Bit's log:" >&2
	cat "$dir/log" >&2
	exit 1
fi
