#!/usr/bin/env bash
# House-style hygiene (style.md rule 15): no sprintf, strcpy, strcat,
# strtok, atoi or alloca anywhere; no raw malloc/calloc/realloc/free outside
# core/base (everything else uses the x* wrappers); every .c file includes
# "core/base/api.h" first.
set -euo pipefail
src=$(readlink -f "${SLUICE_SOURCE_DIR:-.}")
cd "$src"
bad=0
files=$(git ls-files 'core/*.c' 'core/*.h' 'rules/*.c' 'rules/*.h' 'netproxy/*.c' 'netproxy/*.h' 'board/*.c' 'board/*.h' 2>/dev/null ||
	find core rules netproxy board -name '*.[ch]')
banned=$(grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|alloca)[[:space:]]*\(' $files | grep -vE '\b(v?snprintf)\(' || true)
if [ -n "$banned" ]; then
	echo "banned functions:"; echo "$banned"; bad=1
fi
raw=$(grep -nE '(^|[^A-Za-z0-9_])(malloc|calloc|realloc|free)[[:space:]]*\(' $(echo "$files" | grep -v '^core/base/') |
	grep -vE '^\S+:[0-9]+:\s*(/?\*|//)' || true)
if [ -n "$raw" ]; then
	echo "raw allocation outside core/base:"; echo "$raw"; bad=1
fi
for f in $(echo "$files" | grep '\.c$'); do
	first=$(grep -m1 '^#include' "$f" || true)
	if [ "$first" != '#include "core/base/api.h"' ]; then
		echo "$f: first include is '$first', not core/base/api.h"; bad=1
	fi
done
n=$(echo "$files" | wc -l)
if [ "$bad" = 0 ]; then
	echo "checksrc: $n files clean"
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
