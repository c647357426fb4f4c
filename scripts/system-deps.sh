#!/usr/bin/env bash
# Installs the Debian packages the tests start themselves, idempotently: nats-server (the real
# NATS JetStream server the distributed-run tests start on loopback and in network namespaces),
# iproute2 (`ip netns`) and prometheus (2.42, the remote-write receiver of the --out prometheus
# tests). The packages' own system services are stopped and disabled: the tests start their own
# servers on free ports.
set -euo pipefail
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: ${missing[*]} missing; install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# No recommends: prometheus would bring node-exporter and its service.
apt-get install -y --no-install-recommends "${missing[@]}"
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now nats-server >/dev/null 2>&1 || true
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
# Only the server the package just started (installing prometheus alone leaves running ones be).
if [[ " ${missing[*]} " == *" nats-server "* ]]; then pkill -x nats-server 2>/dev/null || true; fi
