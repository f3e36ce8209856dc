#!/usr/bin/env bash
# Runs every built libFuzzer target for a few seconds each, seeded from
# tests/fuzz/corpus/<target>/ when present.  Any crash fails the run.
set -euo pipefail
build=${1:?build dir}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	mkdir -p "$work/$name"
	seeds=()
	[ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
	echo "fuzz: $name for ${secs}s"
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -max_len=65536 \
		-artifact_prefix="$work/$name-" -print_final_stats=0 "$work/$name" "${seeds[@]}" \
		> "$work/$name.log" 2>&1 || { tail -40 "$work/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
	grep -E '^(#[0-9]+ +DONE|Done)' "$work/$name.log" | tail -1 || true
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "fuzz: no targets built" >&2; exit 1; }
echo "fuzz: $n target(s) ran without a crash"
