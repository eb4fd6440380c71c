#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine with Node 20: system packages, npm packages, build.
# Idempotent: re-running it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages used by the tests and benchmarks: HAProxy (the L4 baseline), the Thrift compiler
# (generates the test services' code from test/fixtures/*.thrift), memcached (the real servers behind
# the memcached plugin's tests), Redis (redis-server; redis-cli and redis-benchmark from redis-tools)
# and twemproxy (nutcracker, the Redis proxy baseline); openssl makes the certificates of the TLS xDS
# tests (a CA, server and SPIFFE client certificates, an expired one, another CA's).
need=()
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v thrift >/dev/null 2>&1 || need+=(thrift-compiler)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v nutcracker >/dev/null 2>&1 || need+=(nutcracker)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# jemalloc: bin/aeraki preloads it for the proxy, which then gives memory back after a burst.
ls /usr/lib/*-linux-gnu/libjemalloc.so.2 >/dev/null 2>&1 || need+=(libjemalloc2)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
