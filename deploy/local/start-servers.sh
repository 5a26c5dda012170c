#!/usr/bin/env bash
# Starts the local PostgreSQL and RabbitMQ if they are not running, and waits
# until both accept connections. For development and CI, not for production.
set -euo pipefail

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() {
    local name=$1 port=$2
    for _ in $(seq 1 120); do
        if port_open "$port"; then
            return 0
        fi
        sleep 0.5
    done
    echo "$name did not start listening on 127.0.0.1:$port" >&2
    exit 1
}

if ! port_open 5432; then
    echo "Starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
wait_for PostgreSQL 5432

if ! port_open 5672; then
    echo "Starting RabbitMQ"
    rabbitmq-server -detached
    wait_for RabbitMQ 5672
    rabbitmqctl -q await_startup
fi
wait_for RabbitMQ 5672
