#!/usr/bin/env bash
# `make run`: start sluice on its embedded default.  Until the inline
# proxy (`sluice serve`) lands, this runs the same engine offline on the
# bundled demo tree and on a demo git repository built from it, so a
# person sees what a blocked push would report.
set -euo pipefail
bin=${1:-build/sluice}
here=$(cd "$(dirname "$0")" && pwd)
data=${SLUICE_DATA:-/var/lib/sluice}
mkdir -p "$data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== rules in $data"
"$bin" rules list --data "$data" | head -5
echo "..."
echo
echo "== sluice scan of the demo tree (firmware/demo)"
set +e
"$bin" scan --data "$data" --no-git "$here/demo"
echo "(exit status $?: 0 clean, 1 block-tier findings, 2 errors)"
echo
echo "== sluice scan of a demo repository with history"
git init -q "$work/repo"
cp -r "$here/demo/." "$work/repo/"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.invalid commit -qm "demo"
"$bin" scan --data "$data" "$work/repo"
echo "(exit status $?)"
