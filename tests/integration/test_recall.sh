#!/usr/bin/env bash
# Recall and decoy precision of `sluice scan` on a generated company monorepo
# (design/secrets.md sections 4, 10 and 11).
#
# 1. tests/fixtures/gen_fake_repo.py builds a ~30-commit repository with >100
#    planted credentials (every family of section 10) and >100 decoys, plus a
#    manifest of where each one is, and a directory holding only decoy lines.
# 2. The bundled rule packs are imported into a fresh data directory.
# 3. sluice scans (a) the repository in git mode (every blob of every ref),
#    (b) the working tree with --no-git, (c) the decoy-only directory.
# 4. check_sarif.py compares each SARIF report with the manifest: recall >= 95%
#    at the exact path:line (git mode: and introducing commit), zero findings on
#    decoys, no planted secret anywhere in the report, sane SARIF 2.1.0.
#    Exit status must be 1 for (a) and (b) (block findings), 0 for (c).
#
# Environment: SLUICE_BINARY, SLUICE_SOURCE_DIR (set by ctest), SEED (default 1),
# MIN_RECALL (default 95), KEEP=1 keeps the work directory for inspection.
set -euo pipefail

src=${SLUICE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SLUICE_BINARY:-$src/build/sluice}
seed=${SEED:-1}
min_recall=${MIN_RECALL:-95}
check="$src/tests/integration/check_sarif.py"

if [ ! -x "$bin" ]; then
	echo "test_recall: sluice binary not found at $bin" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-recall.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "test_recall: keeping $work"
else
	trap 'rm -rf "$work"' EXIT
fi

python3 "$src/tests/fixtures/gen_fake_repo.py" "$work/repo" --seed "$seed" \
	--manifest "$work/manifest.json" --decoy-dir "$work/decoys"

"$bin" rules import --data "$work/data" "$src"/rules/packs/*.yaml >"$work/import.log" 2>&1 || {
	echo "test_recall: rules import failed:" >&2
	cat "$work/import.log" >&2
	exit 1
}

failures=0

# scan WANT_EXIT NAME ARGS... : run one scan into $work/NAME.sarif
scan() {
	local want=$1 name=$2 rc=0
	shift 2
	"$bin" scan --data "$work/data" --format sarif --output "$work/$name.sarif" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" || rc=$?
	echo "== $name: sluice scan $* -> exit $rc (want $want)"
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $name: exit status $rc, want $want" >&2
		head -20 "$work/$name.err" >&2
		failures=$((failures + 1))
	fi
	if [ ! -s "$work/$name.sarif" ]; then
		echo "FAIL: $name: no SARIF written" >&2
		head -20 "$work/$name.err" >&2
		failures=$((failures + 1))
		return 1
	fi
	return 0
}

if scan 1 git "$work/repo"; then
	python3 "$check" --manifest "$work/manifest.json" --sarif "$work/git.sarif" \
		--mode git --root "$work/repo" --min-recall "$min_recall" ||
		failures=$((failures + 1))
fi

if scan 1 tree --no-git "$work/repo"; then
	python3 "$check" --manifest "$work/manifest.json" --sarif "$work/tree.sarif" \
		--mode tree --root "$work/repo" --min-recall "$min_recall" ||
		failures=$((failures + 1))
fi

if scan 0 decoys "$work/decoys"; then
	python3 "$check" --sarif "$work/decoys.sarif" --root "$work/decoys" --expect-empty ||
		failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
	echo "test_recall: $failures check(s) failed (seed $seed)" >&2
	exit 1
fi
echo "test_recall: all checks passed (seed $seed)"
