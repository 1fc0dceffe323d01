#!/bin/sh
# record-overhead.sh: the cost of recording a malloc-heavy program
# (record/testdata/mheavy.c: THREADS threads, 2M malloc/free pairs each)
# with memstorm record and with heaptrack. Each of RUNS rounds runs the
# program plain, under memstorm record and under heaptrack, one after the
# other, so that a busy machine slows all three alike; it prints the
# median wall times (seconds) and the medians of the per-round ratios
# (docs/replay.md). On a machine shared with other jobs wall times swing;
# the CPU seconds (user+sys) of the program plain and under the shim
# alone (compiled here as record compiles it, loaded with LD_PRELOAD)
# swing less. MEMSTORM: the binary (default bin/memstorm).
set -eu
MEMSTORM=${MEMSTORM:-bin/memstorm}
RUNS=${RUNS:-5}
THREADS=${THREADS:-1}
dir=$(mktemp -d /tmp/memstorm-overhead-XXXXXX)
trap 'rm -rf "$dir"' EXIT
src=$(cd "$(dirname "$0")/.." && pwd)/record/testdata/mheavy.c
cc -O2 -o "$dir/mheavy" "$src" -pthread
cc -O2 -fPIC -shared -fvisibility=default -o "$dir/shim.so" "$(dirname "$src")/../shimsrc/preload.c" -ldl -pthread
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { /usr/bin/time -f %e -o "$dir/t" "$@" >"$dir/out" 2>&1; cat "$dir/t"; }
cpu() { /usr/bin/time -f '%U %S' -o "$dir/t" "$@" >/dev/null 2>&1; awk '{print $1+$2}' "$dir/t"; }
: >"$dir/rows"
for i in $(seq "$RUNS"); do
	p=$(secs "$dir/mheavy" "$THREADS")
	rm -f "$dir/t.trace"
	r=$(secs "$MEMSTORM" record --out "$dir/t.trace" -- "$dir/mheavy" "$THREADS")
	# the program's own wall time under the shim, from record's summary line
	s=$(sed -n 's/.* in \([0-9.]*\)\(m\{0,1\}s\);.*/\1 \2/p' "$dir/out" | awk '{print ($2=="ms") ? $1/1000 : $1}')
	rm -f "$dir"/ht*
	h=$(secs heaptrack -o "$dir/ht" "$dir/mheavy" "$THREADS")
	pc=$(cpu "$dir/mheavy" "$THREADS")
	rm -f "$dir/raw"
	# env is the preloaded image that claims the file; the program it
	# executes has its pid and takes the file over (docs/replay.md)
	sc=$(cpu env MEMSTORM_RECORD_FILE="$dir/raw" LD_PRELOAD="$dir/shim.so" "$dir/mheavy" "$THREADS")
	echo "$p $s $r $h $pc $sc" >>"$dir/rows"
done
col() { awk -v c="$1" '{print $c}' "$dir/rows" | median; }
ratio() { awk -v a="$1" -v b="$2" '{printf "%.3f\n", $a/$b}' "$dir/rows" | median; }
echo "mheavy, $THREADS thread(s): median of $RUNS interleaved rounds (wall seconds; ratios are medians of each round's)"
echo "  plain                                 $(col 1)"
echo "  the program under memstorm's shim     $(col 2)   $(ratio 2 1)x plain"
echo "  memstorm record (with its conversion) $(col 3)   $(ratio 3 1)x plain"
echo "  heaptrack (with its interpretation)   $(col 4)   $(ratio 4 1)x plain"
echo "  memstorm record / heaptrack                $(ratio 3 4)"
echo "  the shim's program time / heaptrack        $(ratio 2 4)"
echo "  CPU seconds: plain $(col 5), under the shim $(col 6)   $(ratio 6 5)x plain"
