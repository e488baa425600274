#!/usr/bin/env bash
# Runs every test CloudTask has, from a fresh clone on a fresh Debian machine:
# installs what is missing, builds, checks the layer rules, runs the Swift suites
# (unit, contract, HTTP, end to end) with a throwaway PostgreSQL cluster, Redis server,
# RabbitMQ node and S3 protocol server (moto) started here (no systemd needed), the
# outage checks, the live events and the dashboard in a headless browser, then
# schemathesis against the OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.x first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
# libqrencode draws the QR code of a two-factor enrolment (the CQRencode module).
[ -f /usr/include/qrencode.h ] || missing+=(libqrencode-dev)
# A real SMTP server for the mail transport's tests (scripts/mail/smtp_sink.py).
/usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# shellcheck source=lib/postgres.sh
. ./scripts/lib/postgres.sh
# shellcheck source=lib/redis.sh
. ./scripts/lib/redis.sh
# shellcheck source=lib/rabbitmq.sh
. ./scripts/lib/rabbitmq.sh
# shellcheck source=lib/ports.sh
. ./scripts/lib/ports.sh
# shellcheck source=lib/moto.sh
. ./scripts/lib/moto.sh
reserve_fixed_ports
postgres_install
redis_install
rabbitmq_install

echo "== layer rules"
./scripts/check-layers.sh

echo "== formatting (swift-format, the configuration in .swift-format; fix with scripts/format.sh)"
swift format lint --strict --recursive --parallel Sources Tests Package.swift

echo "== build"
swift build --build-tests

echo "== starting a throwaway PostgreSQL on 127.0.0.1:${CLOUDTASK_TEST_PG_PORT:=54329}"
PG_DIR=$(mktemp -d /tmp/cloudtask-test-pg.XXXXXX)
REDIS_DIR=$(mktemp -d /tmp/cloudtask-test-redis.XXXXXX)
MQ_DIR=$(mktemp -d /tmp/cloudtask-test-rabbitmq.XXXXXX)
chmod 755 "$MQ_DIR"  # RabbitMQ runs as the rabbitmq user: it must reach its directory
S3_DIR=$(mktemp -d /tmp/cloudtask-test-s3.XXXXXX)
: "${CLOUDTASK_TEST_AMQP_PORT:=35682}"
trap 'postgres_stop "$PG_DIR"; redis_stop "$REDIS_DIR"; rabbitmq_stop "$MQ_DIR/node" "$CLOUDTASK_TEST_AMQP_PORT"; moto_stop "$S3_DIR"; rm -rf "$PG_DIR" "$REDIS_DIR" "$MQ_DIR" "$S3_DIR"' EXIT
postgres_start "$PG_DIR" "$CLOUDTASK_TEST_PG_PORT"
export CLOUDTASK_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$CLOUDTASK_TEST_PG_PORT/postgres?sslmode=disable"
echo "== starting a throwaway Redis on 127.0.0.1:${CLOUDTASK_TEST_REDIS_PORT:=56379}"
redis_start "$REDIS_DIR" "$CLOUDTASK_TEST_REDIS_PORT"
export CLOUDTASK_TEST_REDIS_URL="redis://127.0.0.1:$CLOUDTASK_TEST_REDIS_PORT/0"
echo "== starting a throwaway RabbitMQ on 127.0.0.1:$CLOUDTASK_TEST_AMQP_PORT (and amqps on $((CLOUDTASK_TEST_AMQP_PORT - 1)), with a CA made here)"
rabbitmq_make_certificates "$MQ_DIR/tls"
rabbitmq_start "$MQ_DIR/node" "$CLOUDTASK_TEST_AMQP_PORT" $((CLOUDTASK_TEST_AMQP_PORT - 1)) "$MQ_DIR/tls"
export CLOUDTASK_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$CLOUDTASK_TEST_AMQP_PORT/%2f"
export CLOUDTASK_TEST_AMQPS_URL="amqps://guest:guest@localhost:$((CLOUDTASK_TEST_AMQP_PORT - 1))/%2f"
export CLOUDTASK_TEST_TLS_DIR="$MQ_DIR/tls"
echo "== starting a throwaway S3 protocol server (moto $MOTO_VERSION) on 127.0.0.1:${CLOUDTASK_TEST_S3_PORT:=54395}"
moto_start "$S3_DIR" "$CLOUDTASK_TEST_S3_PORT"
export CLOUDTASK_TEST_S3_URL="http://127.0.0.1:$CLOUDTASK_TEST_S3_PORT"

echo "== Swift tests (the contract suites run on the in-memory adapters, PostgreSQL, Redis and RabbitMQ)"
SWIFT_LOG=$(mktemp)
# Three passes, so that what keeps both cores busy never runs beside the tests that
# measure time (rate-limit windows, expiring markers, a stop's grace period): the unit,
# contract and HTTP suites; then the end-to-end suites (they start servers and CLIs as
# processes); then the fuzzers and load tests.
swift test --skip-build --skip 'FuzzTests|LoadTests|EndToEndTests' 2>&1 | tee "$SWIFT_LOG"
echo "== end to end: the built binaries (cloudtask-api in its one-process modes, the cloudtask CLI)"
swift test --skip-build --filter EndToEndTests --skip LoadTests 2>&1 | tee -a "$SWIFT_LOG"
echo "== fuzzing the boundaries (cursor, bodies, tokens, the wire codec, program output): ${CLOUDTASK_FUZZ_SECONDS:=3} s per property; load tests"
export CLOUDTASK_FUZZ_SECONDS
swift test --skip-build --filter 'FuzzTests|LoadTests' 2>&1 | tee -a "$SWIFT_LOG"
SWIFT_TESTS=$(grep -oE 'Test run with [0-9]+ tests' "$SWIFT_LOG" | grep -oE '[0-9]+' | awk '{ total += $1 } END { print total }')
rm -f "$SWIFT_LOG"

echo "== a PostgreSQL outage under --single-node (503, then recovery)"
./scripts/postgres-outage.sh

echo "== a Redis outage under --single-node with Redis (served throughout, then refilled)"
./scripts/redis-outage.sh

echo "== end to end: cloudtask-api and cloudtask-worker processes on PostgreSQL, Redis and RabbitMQ"
./scripts/e2e-workers.sh

echo "== the hostile-tenant harness: hostile users for ${HOSTILE_SECONDS:=60} s beside a well-behaved one, on cloudtask-api and two cloudtask-workers"
HOSTILE_SECONDS=$HOSTILE_SECONDS ./scripts/hostile-check.sh

echo "== live events and the dashboard: the event streams, and the dashboard in headless Chromium (screenshots in test-artifacts/dashboard)"
./scripts/live-check.sh

echo "== the README's first command: start.sh, a job, stop.sh, start.sh again"
./scripts/stack-check.sh

echo "== schemathesis against the embedded server"
SCHEMATHESIS_MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-100} ./scripts/schemathesis.sh

# Reached only when everything above passed (set -e).
echo "swift: ${SWIFT_TESTS:-0} passed, 0 failed"
