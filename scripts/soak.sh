#!/usr/bin/env bash
# soak.sh: does memstorm clean up after itself, run after run? It runs
#
#   SOAK_OOM  (default 100) runs of oom-at-limit under --limit 32MiB (killed by the kernel),
#   SOAK_INT  (default 20)  runs of a 30 s hold scenario, SIGINTed once they hold,
#   SOAK_KILL (default 10)  runs of the same, whose supervisor is SIGKILLed once they hold,
#                           each followed by `memstorm cleanup` and `memstorm report`,
#
# then prints a table: verdicts right, and what is left behind (cgroups,
# ownership records, processes, temporary files, status-page memfds), all of
# which must be 0. Exit 0 when every figure is what it must be, 1 otherwise.
#
# Needs root (memory cgroups) and bin/memstorm (make build; `make soak` does
# both). Every run is limited (32 or 64 MiB) in its own child cgroup. The
# host may be shared: only what this script's own memstorm processes made is
# counted (cgroups named memstorm-<one of their pids>-*, processes running
# this binary), never another user's.
set -uo pipefail

BIN=$(readlink -f "${MEMSTORM:-bin/memstorm}")
OOM=${SOAK_OOM:-100}
INT=${SOAK_INT:-20}
KILL=${SOAK_KILL:-10}
OWNER_DIR=/run/memstorm/cgroups

if [ ! -x "$BIN" ]; then
  echo "soak: no $BIN; run make build first" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "soak: needs root to create memory cgroups" >&2
  exit 2
fi

WORK=${SOAK_DIR:-runs/soak-$(date +%Y%m%d-%H%M%S)}
if [ -e "$WORK" ]; then
  echo "soak: $WORK exists; name a new directory in SOAK_DIR" >&2
  exit 2
fi
mkdir -p "$WORK/tmp" || exit 2
WORK=$(readlink -f "$WORK")
export TMPDIR=$WORK/tmp # memstorm's temporary files land here, to be counted
LOG=$WORK/soak.log
START=$WORK/.start
touch "$START"
pids=() # every supervisor this script started

# A scenario that holds long enough to be signalled mid-run.
cat >"$WORK/hold.yaml" <<'EOF'
name: soak-hold
description: Allocate 8 MiB, then hold for 30 s, so that a signal finds the run mid-way.
sample_every: 20ms
limit:
  max: 64MiB
phases:
  - name: fill
    allocate: {size: 4KiB, until: {bytes: 8MiB}}
  - name: hold
    hold: 30s
EOF

outcome() { # the outcome field of DIR/summary.json, or "none"
  local f=$1/summary.json
  [ -f "$f" ] || { echo none; return; }
  sed -n 's/^  "outcome": "\(.*\)",$/\1/p' "$f"
}

# wait_hold DIR: wait (at most 20 s) until the run in DIR has started its hold phase.
wait_hold() {
  local i
  for i in $(seq 200); do
    grep -q '"kind":"phase-start","phase":"hold"' "$1/events.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# start DIR ARGS...: start `memstorm run --quiet --out DIR ARGS...` in the
# background, itself (not under a wrapper, so that its PID is the
# supervisor's and the signals below reach it), with a watchdog that
# SIGKILLs it after 60 s; sets pid.
start() {
  local d=$1
  shift
  "$BIN" run --quiet --out "$d" "$@" >>"$LOG" 2>&1 &
  pid=$!
  pids+=($pid)
  # The watchdog ends by itself within a second of the supervisor.
  (
    for _ in $(seq 60); do
      sleep 1
      kill -0 "$pid" 2>/dev/null || exit 0
    done
    kill -KILL "$pid" 2>/dev/null && echo "watchdog: killed $pid ($d)" >>"$LOG"
  ) </dev/null >/dev/null 2>&1 &
}

# finish: wait for the supervisor; sets code to its exit status.
finish() {
  wait "$pid" 2>/dev/null
  code=$?
}

begin=$(date +%s)
ok_oom=0
for i in $(seq "$OOM"); do
  d=$WORK/oom-$i
  start "$d" --limit 32MiB oom-at-limit
  finish
  o=$(outcome "$d")
  if [ "$o" = oom-killed ] && [ $code -eq 0 ]; then
    ok_oom=$((ok_oom + 1))
  else
    echo "oom-$i: outcome $o, exit $code" | tee -a "$LOG" >&2
  fi
done

ok_int=0
for i in $(seq "$INT"); do
  d=$WORK/int-$i
  start "$d" --limit 64MiB "$WORK/hold.yaml"
  wait_hold "$d" || echo "int-$i: never reached its hold phase" | tee -a "$LOG" >&2
  kill -INT "$pid"
  finish
  o=$(outcome "$d")
  if [ "$o" = interrupted ]; then
    ok_int=$((ok_int + 1))
  else
    echo "int-$i: outcome $o, exit $code" | tee -a "$LOG" >&2
  fi
done

ok_kill=0
for i in $(seq "$KILL"); do
  d=$WORK/kill-$i
  start "$d" --limit 64MiB "$WORK/hold.yaml"
  wait_hold "$d" || echo "kill-$i: never reached its hold phase" | tee -a "$LOG" >&2
  kill -KILL "$pid"
  finish
  "$BIN" cleanup >>"$LOG" 2>&1
  ccode=$?
  cg=$(find /sys/fs/cgroup -type d -name "memstorm-$pid-*" 2>/dev/null | wc -l)
  rep=$("$BIN" report "$d" 2>&1)
  rcode=$?
  echo "$rep" >>"$LOG"
  if [ "$(outcome "$d")" = none ] && [ $ccode -eq 0 ] && [ "$cg" -eq 0 ] && [ $rcode -eq 0 ] && [[ $rep == *incomplete* ]]; then
    ok_kill=$((ok_kill + 1))
  else
    echo "kill-$i: summary $(outcome "$d"), cleanup exit $ccode, $cg cgroup(s) left, report exit $rcode: $rep" | tee -a "$LOG" >&2
  fi
done
secs=$(($(date +%s) - begin))

# What is left behind, once the watchdogs have seen their supervisors end.
wait
cgroups=0 records=0
for pid in "${pids[@]}"; do
  n=$(find /sys/fs/cgroup -type d -name "memstorm-$pid-*" 2>/dev/null | wc -l)
  cgroups=$((cgroups + n))
  n=$(find "$OWNER_DIR" -maxdepth 1 -name "memstorm-$pid-*" 2>/dev/null | wc -l)
  records=$((records + n))
done
procs=0 memfds=0 memfds_all=0
for p in /proc/[0-9]*; do
  n=$(ls -l "$p/fd" 2>/dev/null | grep -c 'memstorm-status')
  memfds_all=$((memfds_all + n))
  if [ "$(readlink "$p/exe" 2>/dev/null)" = "$BIN" ]; then
    procs=$((procs + 1))
    memfds=$((memfds + n))
  fi
done
# memstorm names no /tmp path of its own: its temporary files go to TMPDIR
# (this script's), and the ones beside a file it replaces (.NAME.tmp*) to
# the run directory and the ownership directory.
tmpfiles=$(find "$TMPDIR" -mindepth 1 | wc -l)
strays=$(find "$WORK" "$OWNER_DIR" -mindepth 1 -name '.*.tmp*' 2>/dev/null | wc -l)
tmp_all=$(find /tmp -maxdepth 1 -name '*memstorm*' -newer "$START" | wc -l)

fail=0
row() { # what want got
  printf '%-58s %6s %6s\n' "$1" "$2" "$3"
  [ "$2" = "$3" ] || fail=1
}
printf 'memstorm soak: %d OOM runs, %d interrupted, %d supervisor SIGKILLs + cleanup, in %d s\n' "$OOM" "$INT" "$KILL" "$secs"
printf '(%s, run directories and log in %s)\n\n' "$BIN" "$WORK"
printf '%-58s %6s %6s\n' what want got
row "OOM runs: outcome oom-killed, exit 0" "$OOM" "$ok_oom"
row "SIGINT runs: outcome interrupted" "$INT" "$ok_int"
row "SIGKILL runs: no summary, cleaned up, report incomplete" "$KILL" "$ok_kill"
row "cgroups left (memstorm-<our pid>-*, v1 and v2)" 0 "$cgroups"
row "ownership records left ($OWNER_DIR)" 0 "$records"
row "processes left (running $(basename "$BIN"))" 0 "$procs"
row "temporary files left (TMPDIR, .*.tmp* in run/owner dirs)" 0 $((tmpfiles + strays))
row "memstorm-status memfds held by our processes" 0 "$memfds"
printf '\nFor reference, other users of this host included: %d memstorm-status memfds held by any\nprocess, %d files /tmp/*memstorm* made during the soak.\n' "$memfds_all" "$tmp_all"
exit $fail
