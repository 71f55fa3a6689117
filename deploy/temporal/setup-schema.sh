#!/bin/sh
# One-shot Temporal schema job for docker-compose.yml (temporalio/admin-tools image, not the deprecated auto-setup):
# creates the `temporal` and `temporal_visibility` databases on PostgreSQL if they are missing, then brings both
# schemas to the version this admin-tools release ships. Safe to run on every `docker compose up`: setup-schema
# keeps an existing schema version and update-schema applies only the versions not yet applied.
# Connection from the environment: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER; the password in SQL_PASSWORD (read by
# temporal-sql-tool itself, so it is not on a command line).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
: "${SQL_PASSWORD:?SQL_PASSWORD is not set}"
DB_PORT="${DB_PORT:-5432}"
PLUGIN=postgres12
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sql() {
    temporal-sql-tool --plugin "$PLUGIN" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
tries=0
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT did not open its port" >&2
        exit 1
    fi
    sleep 1
done

# $1: database, $2: schema directory (temporal | visibility)
setup_database() {
    if out=$(sql --db "$1" create 2>&1); then
        echo "database $1 created"
    elif printf '%s' "$out" | grep -q "already exists"; then
        echo "database $1 exists"
    else
        printf '%s\n' "$out" >&2
        exit 1
    fi
    sql --db "$1" setup-schema -v 0.0
    sql --db "$1" update-schema -d "$SCHEMA_ROOT/$2/versioned"
    echo "database $1: schema up to date"
}

setup_database temporal temporal
setup_database temporal_visibility visibility
echo "Temporal schema setup complete"
