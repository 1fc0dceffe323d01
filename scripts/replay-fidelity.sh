#!/bin/sh
# replay-fidelity.sh: records record/testdata/fragment.py under each
# allocator RECORDINGS times (python's own small-object allocator off, so
# that every object goes through malloc) and replays each trace under the
# same allocator twice: in memstorm (the replay table, docs/replay.md) and
# in the plain-C reference program (alloc/cref's replay mode, one thread,
# RssAnon at the same points), so that what the replay engine adds can be
# told from what the allocator does. MEMSTORM: the binary (default
# bin/memstorm); OUT: where traces and runs go; TIMING: the replay's timing
# (asap, recorded, xN; default asap); ALLOCATORS (default all four);
# REPLAYS: replays of each trace in each of the two (default 1).
set -eu
MEMSTORM=${MEMSTORM:-bin/memstorm}
OUT=${OUT:-$(mktemp -d /tmp/memstorm-fidelity-XXXXXX)}
PY=${PY:-python3}
RECORDINGS=${RECORDINGS:-1}
REPLAYS=${REPLAYS:-1}
TIMING=${TIMING:-asap}
root=$(cd "$(dirname "$0")/.." && pwd)
script=$root/record/testdata/fragment.py
(cd "$root" && go build -o "$OUT/crefreplay" ./alloc/cref/crefreplay)
case $TIMING in
asap) speed=0 ;;
recorded) speed=1 ;;
x*) speed=${TIMING#x} ;;
*) echo "TIMING: asap, recorded or xN" >&2; exit 2 ;;
esac
lib() {
	case $1 in
	glibc) echo "" ;;
	jemalloc) echo /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
	tcmalloc) echo /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ;;
	mimalloc) echo /usr/lib/x86_64-linux-gnu/libmimalloc.so.2 ;;
	esac
}
for a in ${ALLOCATORS:-glibc jemalloc tcmalloc mimalloc}; do
	for i in $(seq "$RECORDINGS"); do
		t=$a-$i
		PYTHONMALLOC=malloc "$MEMSTORM" record --allocator "$a" --out "$OUT/$t.trace" -- "$PY" "$script" >/dev/null
		cat >"$OUT/$t.yaml" <<YAML
name: fidelity-$t
sample_every: 5ms
phases:
  - name: replay
    replay: {trace: $t.trace, timing: $TIMING}
  - name: after
    hold: 200ms
YAML
		echo "== $a, recording $i"
		for j in $(seq "$REPLAYS"); do
			"$MEMSTORM" run --quiet --allocator "$a" --out "$OUT/run-$t-$j" "$OUT/$t.yaml" | sed -n '/^replay of/,/^replay figure/p' | sed '/^replay figure/d'
			"$OUT/crefreplay" -speed "$speed" -lib "$(lib "$a")" "$OUT/$t.trace"
		done
	done
done
