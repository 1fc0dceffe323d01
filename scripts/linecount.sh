#!/usr/bin/env bash
# Lines of non-test Go and C per package, largest first, and the share of
# the whole: the figures docs/ARCHITECTURE.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
total=0
declare -A n
for d in $(go list -f '{{.Dir}}' ./...); do
	rel=${d#"$PWD"/}
	c=$(find "$d" -maxdepth 1 \( -name '*.go' -o -name '*.c' -o -name '*.h' \) ! -name '*_test.go' -print0 | xargs -0 cat /dev/null | wc -l)
	n[$rel]=$c
	total=$((total + c))
done
for k in "${!n[@]}"; do
	printf '%6d  %4.1f%%  %s\n' "${n[$k]}" "$(echo "100*${n[$k]}/$total" | bc -l)" "$k"
done | sort -rn
printf '%6d  total\n' "$total"
