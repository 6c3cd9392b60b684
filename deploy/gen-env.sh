#!/bin/sh
# Prints a .env for compose.yaml with fresh random passwords: one per NATS
# user (deploy/nats-server.conf), Postgres's and Grafana's admin's.
#   ./gen-env.sh > .env && chmod 600 .env
set -eu
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
for name in NATS_ETCD_API NATS_BACKEND NATS_PERSISTER NATS_COMPACTOR POSTGRES GRAFANA_ADMIN; do
  printf 'ECKD_%s_PASSWORD=%s\n' "$name" "$(secret)"
done
