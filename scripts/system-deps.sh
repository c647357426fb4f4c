#!/usr/bin/env bash
# Installs the Debian packages the cluster tests start themselves, idempotently: nats-server (the
# real NATS JetStream server the distributed-run tests start on loopback and in network
# namespaces) and iproute2 (`ip netns`). The package's own system service is stopped and
# disabled: the tests start their own servers on free ports.
set -euo pipefail
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: ${missing[*]} missing; install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nats-server >/dev/null 2>&1 || true; fi
pkill -x nats-server 2>/dev/null || true
