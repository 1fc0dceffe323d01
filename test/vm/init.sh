#!/bin/busybox sh
# /init of the cgroup v2 test VM (see vm_test.go). It mounts a pure cgroup
# v2 hierarchy with memory in the root's subtree_control, adds a zram swap
# device, then runs every job of /jobs from two placements: memstorm in the
# root cgroup, and memstorm in a non-root cgroup with a limit (as in a
# systemd service or a container). Each job's output goes back over the
# serial console between framed markers; the host driver parses them.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control

say() { echo "@@VM $*"; }

# Swap for --swap runs: zram (a module in Debian's kernel) when present.
if [ -d /modules ]; then
  for m in zsmalloc lzo lzo-rle zram; do
    a=; [ $m = zram ] && a=num_devices=2
    [ -f /modules/$m.ko ] && insmod /modules/$m.ko $a 2>/dev/null
  done
fi
if [ -e /sys/block/zram0/disksize ] && echo 512M > /sys/block/zram0/disksize \
    && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
  say "INFO swap zram0 512M"
else
  say "INFO swap none"
fi
# tmpfs at /dev/shm (shm_open, via: tmpfs), and a block-device filesystem
# (ext2 on zram1) for via: file's page cache, as TMPDIR.
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
if [ -e /sys/block/zram1/disksize ] && echo 1G > /sys/block/zram1/disksize \
    && mke2fs -q /dev/zram1 && mkdir -p /scratch && mount /dev/zram1 /scratch && chmod 1777 /scratch; then
  export TMPDIR=/scratch
  say "INFO scratch $(grep /scratch /proc/mounts)"
else
  say "INFO scratch none"
fi
say "INFO kernel $(uname -r) thp $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
say "INFO controllers $(cat /sys/fs/cgroup/cgroup.controllers)"

# The non-root placement: a cgroup with a memory limit and nothing
# delegated below it, memstorm its only process.
SVC=/sys/fs/cgroup/memstorm-vm.service
mkdir -p $SVC
echo 1536M > $SVC/memory.max

# run_job PLACEMENT NAME DIR CMD...: runs CMD in DIR from the placement,
# its output framed with the exit status and the guest's clock.
run_job() {
  placement=$1 name=$2 dir=$3
  shift 3
  if [ -n "$ONLY" ] && ! echo "$name" | grep -Eq "$ONLY"; then return 0; fi
  say "BEGIN $placement $name"
  start=$(cut -d' ' -f1 /proc/uptime)
  if [ "$placement" = nonroot ]; then
    (cd "$dir" && exec sh -c 'echo 0 > '$SVC'/cgroup.procs && exec "$@"' job "$@") 2>&1 </dev/null
  else
    (cd "$dir" && exec "$@") 2>&1 </dev/null
  fi
  rc=$?
  end=$(cut -d' ' -f1 /proc/uptime)
  echo
  say "END $placement $name rc=$rc start=$start end=$end"
}

# Leftovers after a placement: cgroups memstorm made and did not remove.
check_clean() {
  left=$(find /sys/fs/cgroup -mindepth 1 -type d | grep -v "^$SVC\$")
  say "BEGIN $1 leftover-cgroups"
  echo "$left"
  say "END $1 leftover-cgroups rc=$([ -z "$left" ] && echo 0 || echo 1) start=0 end=0"
}

. /vmenv
. /jobs
for placement in root nonroot; do
  jobs_for $placement
  check_clean $placement
done
say "DONE"
sync
poweroff -f
