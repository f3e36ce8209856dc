#!/usr/bin/env bash
# IaC benchmark (issue 4): files per second and MB per CPU-second of the
# IaC checks alone (a data directory holding only the IaC pack), on a
# generated corpus of Terraform, ARM/Bicep, CloudFormation, Kubernetes and
# Dockerfiles (tests/fixtures/iac/gen_infra_repo.py, scaled), and the same
# with the secret rules as well.  Medians of 3.
# Usage: bench_iac.sh [path/to/sluice]
set -euo pipefail
bin=$(readlink -f "${1:-build/sluice}")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scale=${IAC_SCALE:-200}

python3 "$src/tests/fixtures/iac/gen_infra_repo.py" "$work/corpus" --scale "$scale" > /dev/null
files=$(find "$work/corpus" -type f | wc -l)
bytes=$(du -sb "$work/corpus" | cut -f1)
"$bin" rules import --data "$work/iac-only" "$src/rules/packs/iac-v1.yaml" > /dev/null
"$bin" rules import --data "$work/all" "$src"/rules/packs/*.yaml > /dev/null

measure() {  # measure DATA -> "cpu_seconds wall_seconds"
	/usr/bin/time -o "$work/time.txt" -f '%U %S %e' "$bin" scan --data "$1" --no-git --no-progress \
		--format json --output "$work/out.json" "$work/corpus" > /dev/null 2>&1 || true
	tail -1 "$work/time.txt" | awk '{printf "%.3f %.3f\n", $1 + $2, $3}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for data in iac-only all; do
	: > "$work/$data.cpu"; : > "$work/$data.wall"
done
for r in 1 2 3; do
	for data in iac-only all; do
		read -r cpu wall < <(measure "$work/$data")
		echo "$cpu" >> "$work/$data.cpu"
		echo "$wall" >> "$work/$data.wall"
	done
done
findings=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for f in d["findings"] if f["kind"]=="iac"))' "$work/out.json")
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "## IaC ($(date -u +%Y-%m-%d), $cpu, $(nproc) cores)"
echo "corpus: $files files, $((bytes / 1048576)) MiB (gen_infra_repo.py --scale $scale); $findings IaC findings"
echo "| rules loaded | CPU s | wall s | files per CPU-s | MB per CPU-s | target |"
echo "|---|---:|---:|---:|---:|---|"
for data in iac-only all; do
	c=$(median < "$work/$data.cpu"); w=$(median < "$work/$data.wall")
	awk -v c="$c" -v w="$w" -v f="$files" -v b="$bytes" -v d="$data" \
		'BEGIN {printf "| %s | %.2f | %.2f | %.0f | %.1f | %s |\n", d, c, w, f / c, b / 1e6 / c, (d == "iac-only") ? ">= 50 MB/s" : ""}'
done
