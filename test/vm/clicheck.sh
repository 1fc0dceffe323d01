#!/bin/sh
# clicheck WANT OUT MUST ARGS...: runs memstorm ARGS --out OUT --quiet in the
# VM and checks its exit status against WANT. A refused run (2) must leave no
# OUT; a run that went (0 or 1) must leave OUT/summary.json, whose outcome and
# cgroup lines are printed for the report, and in which every line of MUST
# (extended regular expressions, one per line; empty for none) must match.
want=$1 out=$2 must=$3
shift 3
memstorm run --quiet --out "$out" "$@"
rc=$?
echo "clicheck: memstorm run $* --out $out: exit $rc, want $want"
ok=0
[ "$rc" = "$want" ] || ok=1
case $want in
2) if [ -e "$out" ]; then echo "clicheck: refused run left $out behind"; ls -la "$out"; ok=1; fi ;;
0|1) if [ -f "$out/summary.json" ]; then
     grep -E '"(outcome|reason|mode|path|limit|oom_killed_processes|oom_kill|oom_group_kill|failcnt|peak_swap_bytes|peak_source|peak_usage_bytes|lifetime_peak_usage_bytes|note)"' "$out/summary.json" | cut -c1-300
     echo "$must" | while IFS= read -r re; do
       [ -z "$re" ] && continue
       if ! grep -Eq "$re" "$out/summary.json"; then echo "clicheck: summary.json has no line matching: $re"; exit 1; fi
     done || ok=1
   else
     echo "clicheck: no $out/summary.json"; ok=1
   fi ;;
esac
exit $ok
