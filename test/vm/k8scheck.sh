#!/bin/sh
# k8scheck MODE: memstorm in a container's cgroup as the kubelet makes it
# on cgroup v2 (memory.max 128M, memory.oom.group=1: an OOM kill at the
# limit kills every process in it), running oom-at-limit there.
#   child    a writable tree: the run's child cgroup sits below the
#            container's limit, so only the worker is killed; memstorm
#            survives, exit 0, summary.json says OOMKilled for Kubernetes
#   current  --cgroup current: the group kill takes memstorm too (exit 137,
#            no summary.json); memstorm report renders the directory as
#            killed with its container
#   bundle   the same with --bundle: the provisional bundle.json stays, and
#            memstorm fleet shows the node as killed-with-container
# This shell leaves the placement's cgroup for the root's, so that the
# group kill cannot take it; it removes the container cgroup at the end.
mode=$1 o=/tmp/runs/k8s-$1 C=/sys/fs/cgroup/k8s-container
echo $$ > /sys/fs/cgroup/cgroup.procs || exit 1
# No swap, as the kubelet sets a container (memory.swap.max 0 unless the
# node allows swap): the VM has zram swap, which would delay the kill.
mkdir -p $o && mkdir $C && echo 128M > $C/memory.max && echo 0 > $C/memory.swap.max \
  && echo 1 > $C/memory.oom.group || exit 1
# in_c ARGS: runs ARGS as a process of the container's cgroup.
in_c() { sh -c 'echo $$ > '$C'/cgroup.procs && exec "$@"' in_c "$@"; }
fail() { echo "k8scheck: $*"; ok=1; }
ok=0
case $mode in
child)
  in_c clicheck 0 $o/run '"outcome": "oom-killed"
"reason": "OOMKilled"
"margin_bytes": [1-9]
"exit_code": 0' --limit inherit oom-at-limit || fail "clicheck failed"
  grep -E '"(container_limit|margin_bytes|container_oom_kills|exit_code|limit)"' $o/run/summary.json
  grep -q '^oom_group_kill 0$' $C/memory.events || fail "the container's cgroup counted a group kill" ;;
current)
  in_c memstorm run --quiet --cgroup current --out $o/run oom-at-limit
  rc=$?
  echo "k8scheck: memstorm run --cgroup current oom-at-limit: exit $rc, want 137"
  [ "$rc" = 137 ] || fail "exit $rc"
  [ -e $o/run/summary.json ] && fail "summary.json was written"
  grep group-kill-armed $o/run/events.jsonl | cut -c1-200 || fail "no group-kill-armed event"
  echo "k8scheck: $(wc -l < $o/run/samples.csv) lines in samples.csv; the last: $(tail -n1 $o/run/samples.csv | cut -c1-120)"
  memstorm report $o/run > $o/report.txt 2>&1
  rc=$?
  cat $o/report.txt
  [ "$rc" = 0 ] || fail "memstorm report exit $rc"
  grep -q "killed with its container" $o/report.txt || fail "report does not say killed with its container" ;;
bundle)
  in_c memstorm run --quiet --cgroup current --bundle $o/results --node vm-node oom-at-limit
  rc=$?
  echo "k8scheck: memstorm run --bundle --cgroup current oom-at-limit: exit $rc, want 137"
  [ "$rc" = 137 ] || fail "exit $rc"
  grep -q '"provisional": true' $o/results/memstorm-vm-node/bundle.json || fail "no provisional bundle.json"
  memstorm fleet --out $o/fleet $o/results
  rc=$?
  cat $o/fleet/fleet.md
  [ "$rc" = 1 ] || fail "memstorm fleet exit $rc, want 1 (a run did not pass)"
  grep -q 'killed-with-container' $o/fleet/fleet.md || fail "fleet.md has no killed-with-container"
  grep -q 'Kubernetes: exit 137, OOMKilled' $o/fleet/fleet.md || fail "fleet.md has no Kubernetes exit 137, OOMKilled" ;;
*) fail "mode $mode: want child, current or bundle" ;;
esac
grep -E '^(oom|oom_kill|oom_group_kill) ' $C/memory.events | tr '\n' ' '
echo
for i in 1 2 3 4 5 6 7 8 9 10; do rmdir $C 2>/dev/null && break; sleep 1; done
[ -e $C ] && fail "$C not removed"
exit $ok
