#!/usr/bin/env bash
# Installs, in one apt-get run, the Debian packages the tests start for
# real: Redis, Prometheus (with promtool) and RabbitMQ, and what the local
# Kubernetes cluster runs on: containerd, runc, the CNI plugins (in
# /usr/lib/cni), iptables, ipset, conntrack and a static busybox; and
# PostgreSQL 15, where the tests keep the state stores too, and whose
# binaries the cluster's PostgreSQL image is made of. The tests
# would install each on first use too, but several test binaries run at once
# and apt-get takes a lock, so doing it up front avoids them tripping on it.
set -euo pipefail

missing=()
# Each entry is WHAT:PACKAGE, WHAT a command or, starting with /, a file.
for pair in redis-server:redis-server prometheus:prometheus promtool:prometheus rabbitmq-server:rabbitmq-server \
  containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins \
  iptables:iptables ipset:ipset conntrack:conntrack /bin/busybox:busybox-static \
  /usr/lib/postgresql/15/bin/postgres:postgresql; do
  what="${pair%%:*}" pkg="${pair##*:}"
  case "$what" in
    /*) [ -x "$what" ] || missing+=("$pkg") ;;
    *) command -v "$what" >/dev/null 2>&1 || [ -x "/usr/sbin/$what" ] || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]}; install these Debian/Ubuntu packages (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
