#!/bin/bash
# run.sh [SECONDS] — fuzz the apiserver's request path for a bounded time (libFuzzer with
# ASan/UBSan/LeakSanitizer); TAP: ok when no crash, hang, leak or sanitizer report.
set -u
cd "$(dirname "$0")/../.."
BUILD=${KBPF_BUILD:-$PWD/build}
SECONDS_=${1:-${FUZZ_SECONDS:-60}}
FUZZER=$BUILD/fuzz/fuzz_api
[ -x "$FUZZER" ] || { echo "1..0 # SKIP $FUZZER is not built"; exit 0; }
WORK=$(mktemp -d /tmp/kbpft-fuzz.XXXX)
trap 'rm -rf "$WORK"' EXIT
cp tests/fuzz/corpus/* "$WORK/" 2>/dev/null
if "$FUZZER" -max_total_time="$SECONDS_" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$WORK/" -print_final_stats=1 "$WORK" >"$WORK/log" 2>&1; then
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/log" | grep -o '[0-9]*$')
	echo "ok 1 - ${SECONDS_}s of fuzzing the request path: ${runs:-?} inputs, no crash, hang or leak"
else
	echo "not ok 1 - the fuzzer found a problem"
	grep -E 'ERROR|SUMMARY|Test unit written|#[0-9]+ ' "$WORK/log" | head -30 | sed 's/^/# /'
	for a in "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-*; do
		[ -f "$a" ] || continue
		mkdir -p "$BUILD/fuzz/artifacts"
		cp "$a" "$BUILD/fuzz/artifacts/"
		echo "# reproducer: $BUILD/fuzz/artifacts/$(basename "$a")"
	done
fi
echo "1..1"
