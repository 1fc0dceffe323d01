# The jobs the VM runs from each placement (sourced by init.sh). Test
# binaries run in their package's source directory (/src/<pkg>) under
# MEMSTORM_CI=1, so a missing requirement fails rather than skips. Skipped
# here, with why:
#   TestHarnessMakesNoMallocCalls  needs a C compiler (builds a plain-C twin)
#   TestLabJemallocDecay,          jemalloc's time-based decay (1 s) passes
#   TestBuiltinShapes/jemalloc-decay  during the free phase under emulation
# ($SHAPES, written by the driver into /vmenv, lists the other built-ins.)
#   TestBadInputIsRefusedQuickly,  bound CPU time, which emulation multiplies
#   TestBlankLinesAreCheap         (the host pass of make test holds them)
#   TestHoldIsAsleep,              bound the worker's CPU while asleep (6.6% of
#   TestSlowLeakTimeToKill         a core under emulation, want < 1%) and the
#                                  leak's wall-clock rate (killed at 16.3 s,
#                                  predicted 7.1 s): the host pass holds them
#   TestTerminatedFromTheStart,    build memstorm with the go tool, and record
#   TestTerminatedAsPID1,          with python3 (its allocations traced): the
#   TestRecordThenReplay           VM has neither; the host pass holds them
# To keep the stage to a few minutes, the non-root placement leaves out
# what does not depend on where memstorm's cgroup is: the TestLab* suite
# (allocator behaviour) and the shapes of built-ins without a limit. Both
# create their run's child cgroup the same way as the tests that stay.
vm_tests() {
  p=$1
  . /vmenv
  labs= shapes=$SHAPES
  [ "$p" = nonroot ] && labs='|^TestLab' shapes=$LIMITED_SHAPES
  export MEMSTORM_CI=1
  run_job $p test-cgroup /src/cgroup /t/cgroup.test -test.v -test.count=1 -test.timeout=10m
  run_job $p test-stress /src/stress /t/stress.test -test.v -test.count=1 -test.timeout=10m \
    -test.skip "^TestHarnessMakesNoMallocCalls\$|^TestLabJemallocDecay\$|^TestBuiltinShapes\$|^TestHoldIsAsleep\$|^TestSlowLeakTimeToKill\$$labs"
  run_job $p test-stress-shapes /src/stress /t/stress.test -test.v -test.count=1 -test.timeout=10m \
    -test.run "^TestBuiltinShapes\$/^($shapes)\$"
  run_job $p test-cmd-memstorm /src/cmd/memstorm /t/memstorm.test -test.v -test.count=1 -test.timeout=10m \
    -test.skip '^TestBadInputIsRefusedQuickly$|^TestBlankLinesAreCheap$|^TestTerminatedFromTheStart$|^TestTerminatedAsPID1$|^TestRecordThenReplay$'
  unset MEMSTORM_CI
}

# CLI runs of the memstorm binary: clicheck WANT-EXIT OUT-DIR MUST ARGS...
# (MUST: lines of summary.json that must be there, one regex per line).
vm_cli() {
  p=$1 o=/tmp/runs/$1
  run_job $p cli-oom-at-limit /tmp clicheck 0 $o/oom '"oom_killed_processes": 1,' --limit 64MiB oom-at-limit
  run_job $p cli-fill-to-limit /tmp clicheck 0 $o/fill '"outcome": "stopped-at-limit"' --scale 0.25 fill-to-limit-then-free
  # The kernel's oom_kill counts a group kill's first victim twice; the
  # processes killed are the workers' own wait statuses (3 of 3).
  run_job $p cli-oom-group /tmp clicheck 0 $o/group '"oom_killed_processes": 3,
"oom_group_kill": [1-9]' --scale 0.5 --oom-group oom-partial-kill
  run_job $p cli-oom-group-kill /tmp clicheck 0 $o/groupkill '"oom_killed_processes": 4,' --scale 0.25 --oom-group oom-group-kill
  run_job $p cli-swap /tmp clicheck 0 $o/swap '"peak_swap_bytes": [1-9]' --limit 32MiB --swap 64MiB --scale 0.25 eat-and-return
  run_job $p cli-child /tmp clicheck 0 $o/child '' --cgroup child --scale 0.25 eat-and-return
  run_job $p cli-burst /tmp clicheck 0 $o/burst '' --scale 0.25 burst-to-90
  # Page cache is reclaimed at the limit; tmpfs and memfd pages are not.
  run_job $p cli-page-cache /tmp clicheck 0 $o/pc '"outcome": "completed"' --scale 0.25 page-cache-reclaim
  run_job $p cli-tmpfs-oom /tmp clicheck 0 $o/tmpfs '"outcome": "oom-killed"' --scale 0.25 tmpfs-to-oom
  run_job $p cli-memfd-oom /tmp clicheck 0 $o/memfd '"outcome": "oom-killed"' --scale 0.25 memfd-to-oom
  # memory.high throttles allocation on v2, with high events counted.
  run_job $p cli-high /tmp sh -c "clicheck 0 $o/high '' --scale 0.25 high-throttle; r=\$?; grep high-throttle $o/high/events.jsonl; exit \$r"
  run_job $p cli-swap-spill /tmp clicheck 0 $o/swapspill '"peak_swap_bytes": [1-9]' --scale 0.25 --swap 32MiB swap-spill
}

jobs_for() {
  vm_tests $1
  vm_cli $1
  case $1 in
  root)
    # The root cgroup has no memory.max: a current-mode run that needs a
    # limit cannot be honoured, and is refused before its directory exists.
    run_job root cli-current-refused /tmp clicheck 2 /tmp/runs/root/current '' --cgroup current --scale 0.25 oom-at-limit ;;
  nonroot)
    # memstorm's own cgroup has a 1536 MiB limit: the run takes it.
    run_job nonroot cli-current /tmp clicheck 0 /tmp/runs/nonroot/current '' --cgroup current --scale 0.25 eat-and-return
    # Kubernetes semantics: a container's cgroup with the kubelet's
    # memory.oom.group=1 and a 128M limit (k8scheck.sh): a child below the
    # limit keeps memstorm alive; in the container's own cgroup the group
    # kill takes it (exit 137), and report and fleet say so.
    run_job nonroot k8s-oom-group-child /tmp k8scheck child
    run_job nonroot k8s-oom-group-current /tmp k8scheck current
    run_job nonroot k8s-oom-group-bundle /tmp k8scheck bundle ;;
  esac
}
