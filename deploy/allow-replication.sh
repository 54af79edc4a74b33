#!/bin/bash
# Run once by the postgres image when it creates the database: the replica
# (db-replica in compose.yaml) may stream over the compose network.
set -euo pipefail
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
