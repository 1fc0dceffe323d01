#!/bin/sh
# replay-fidelity.sh: records record/testdata/fragment.py under each
# allocator (python's own small-object allocator off, so that every object
# goes through malloc) and replays the trace under the same allocator; each
# run prints the fidelity table (docs/replay.md). MEMSTORM: the binary
# (default bin/memstorm); OUT: where traces and runs go; TIMING: the
# replay's timing (asap, recorded, xN; default asap).
set -eu
MEMSTORM=${MEMSTORM:-bin/memstorm}
OUT=${OUT:-$(mktemp -d /tmp/memstorm-fidelity-XXXXXX)}
PY=${PY:-python3}
script=$(cd "$(dirname "$0")/.." && pwd)/record/testdata/fragment.py
for a in glibc jemalloc tcmalloc mimalloc; do
	PYTHONMALLOC=malloc "$MEMSTORM" record --allocator "$a" --out "$OUT/$a.trace" -- "$PY" "$script" >/dev/null
	cat >"$OUT/$a.yaml" <<YAML
name: fidelity-$a
sample_every: 5ms
phases:
  - name: replay
    replay: {trace: $a.trace, timing: ${TIMING:-asap}}
  - name: after
    hold: 200ms
YAML
	echo "== $a"
	"$MEMSTORM" run --quiet --allocator "$a" --out "$OUT/run-$a" "$OUT/$a.yaml" | sed -n '/^replay of/,/^replay figure/p'
done
