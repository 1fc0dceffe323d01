#!/bin/sh
# clicheck WANT OUT ARGS...: runs memstorm ARGS --out OUT --quiet in the VM and
# checks its exit status against WANT. A refused run (2) must leave no OUT;
# a run that went (0 or 1) must leave OUT/summary.json, whose outcome and
# cgroup lines are printed for the report.
want=$1 out=$2
shift 2
memstorm run --quiet --out "$out" "$@"
rc=$?
echo "clicheck: memstorm run $* --out $out: exit $rc, want $want"
ok=0
[ "$rc" = "$want" ] || ok=1
case $want in
2) if [ -e "$out" ]; then echo "clicheck: refused run left $out behind"; ls -la "$out"; ok=1; fi ;;
0|1) if [ -f "$out/summary.json" ]; then
     grep -E '"(outcome|reason|mode|path|limit|oom_kills|swap_bytes|peak_usage_bytes|note)"' "$out/summary.json" | cut -c1-300
   else
     echo "clicheck: no $out/summary.json"; ok=1
   fi ;;
esac
exit $ok
