#!/usr/bin/env bash
# Installs what memstorm needs on a fresh Debian machine, when run as root.
# Idempotent: installs only what is missing. Without root it only reports.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in "$@"; do
  have_pkg "$p" || need+=("$p")
done
command -v gcc >/dev/null || need+=(gcc)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 0
fi
echo "setup: installing ${need[*]} (apt-get, as root)" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for a package manager that another process holds (unattended
# upgrades on a fresh machine) rather than fail: up to 10 minutes.
lock=(-o DPkg::Lock::Timeout=600)
apt-get "${lock[@]}" update -qq >/dev/null
apt-get "${lock[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "setup: installed ${need[*]}" >&2
