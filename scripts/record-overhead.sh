#!/bin/sh
# record-overhead.sh: the cost of recording a malloc-heavy program
# (record/testdata/mheavy.c: THREADS threads, 2M malloc/free pairs each)
# with memstorm record and with heaptrack, each RUNS times; prints the
# median wall times in seconds and the ratios (docs/replay.md).
# MEMSTORM: the binary (default bin/memstorm).
set -eu
MEMSTORM=${MEMSTORM:-bin/memstorm}
RUNS=${RUNS:-5}
THREADS=${THREADS:-1}
dir=$(mktemp -d /tmp/memstorm-overhead-XXXXXX)
trap 'rm -rf "$dir"' EXIT
src=$(cd "$(dirname "$0")/.." && pwd)/record/testdata/mheavy.c
cc -O2 -o "$dir/mheavy" "$src" -pthread
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
for i in $(seq "$RUNS"); do secs "$dir/mheavy" "$THREADS"; done | median >"$dir/plain"
for i in $(seq "$RUNS"); do
	rm -f "$dir/t.trace"
	/usr/bin/time -f %e -o "$dir/rec.$i" "$MEMSTORM" record --out "$dir/t.trace" -- "$dir/mheavy" "$THREADS" >"$dir/out.$i"
	# the program's own wall time under the shim, from record's summary line
	sed -n 's/.* in \([0-9.]*\)\(m\?s\);.*/\1 \2/p' "$dir/out.$i" | awk '{print ($2=="ms") ? $1/1000 : $1}'
done | median >"$dir/shim"
cat "$dir"/rec.* | median >"$dir/record"
for i in $(seq "$RUNS"); do
	rm -f "$dir"/ht*
	secs heaptrack -o "$dir/ht" "$dir/mheavy" "$THREADS"
done | median >"$dir/heaptrack"
p=$(cat "$dir/plain"); s=$(cat "$dir/shim"); r=$(cat "$dir/record"); h=$(cat "$dir/heaptrack")
echo "mheavy $THREADS thread(s), median of $RUNS runs, wall seconds:"
echo "  plain                               $p"
echo "  under memstorm's shim (the program) $s  ($(echo "$s $p" | awk '{printf "%.2f", $1/$2}')x plain)"
echo "  memstorm record (with conversion)   $r  ($(echo "$r $p" | awk '{printf "%.2f", $1/$2}')x plain)"
echo "  heaptrack (with interpretation)     $h  ($(echo "$h $p" | awk '{printf "%.2f", $1/$2}')x plain)"
echo "  memstorm record / heaptrack         $(echo "$r $h" | awk '{printf "%.2f", $1/$2}')"
