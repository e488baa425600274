#!/usr/bin/env bash
# Live events and the dashboard, end to end: the real cloudtask-api and
# cloudtask-worker on a PostgreSQL, a Redis and a RabbitMQ of their own, then
#   scripts/live/sse_check.py      the event streams (resume with Last-Event-ID
#                                  mid-job, 404 for another user, the end after the
#                                  final status, followed output, heartbeats, /events,
#                                  the admin overview);
#   scripts/live/browser_check.py  the dashboard in headless Chromium driven by
#                                  selenium, with screenshots in $CLOUDTASK_TEST_ARTIFACTS
#                                  (default: test-artifacts/dashboard in the checkout),
#                                  then the links of mail that a real SMTP server
#                                  (aiosmtpd, scripts/mail/smtp_sink.py) received.
# Installs what it uses that is missing: chromium, chromium-driver and aiosmtpd from Debian's
# packages, selenium (pinned) from PyPI into a virtualenv under .build/.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh

SELENIUM_VERSION=4.51.0
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
/usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "live: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
VENV=.build/live-venv
if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "selenium==$SELENIUM_VERSION"
fi

PG_PORT=${LIVE_PG_PORT:-54379}
REDIS_PORT=${LIVE_REDIS_PORT:-56419}
MQ_PORT=${LIVE_AMQP_PORT:-35712}
API_PORT=${LIVE_API_PORT:-18479}
ARTIFACTS=${CLOUDTASK_TEST_ARTIFACTS:-$PWD/test-artifacts}/dashboard
DIR=$(mktemp -d /tmp/cloudtask-live.XXXXXX)
chmod 755 "$DIR"  # the postgres and rabbitmq users reach their directories through it
API="" WORKER="" SMTP=""
cleanup() {
  [ -n "$SMTP" ] && kill -9 "$SMTP" 2>/dev/null && wait "$SMTP" 2>/dev/null || true
  [ -n "$WORKER" ] && kill "$WORKER" 2>/dev/null && wait "$WORKER" 2>/dev/null || true
  [ -n "$API" ] && kill "$API" 2>/dev/null && wait "$API" 2>/dev/null || true
  rabbitmq_stop "$DIR/mq" "$MQ_PORT"
  redis_stop "$DIR/redis"
  postgres_stop "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "live: FAILED: $*"
  echo "--- api log"; tail -20 "$DIR/api.log" 2>/dev/null || true
  echo "--- worker log"; tail -20 "$DIR/worker.log" 2>/dev/null || true
  exit 1
}

postgres_start "$DIR/pg" "$PG_PORT"
redis_start "$DIR/redis" "$REDIS_PORT"
RABBITMQ_MANAGEMENT_PORT=$((MQ_PORT + 1)) rabbitmq_start "$DIR/mq" "$MQ_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$MQ_PORT/%2f"
export CLOUDTASK_JWT_ACCESS_SECRET=live-check-access-secret-0123456789abcdef
export CLOUDTASK_JWT_REFRESH_SECRET=live-check-refresh-secret-0123456789abcdef
export CLOUDTASK_MFA_KEY=live-check-mfa-key-0123456789abcdef0123
export CLOUDTASK_HTTP_PORT=$API_PORT CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text
export CLOUDTASK_STOP_GRACE_SECONDS=2 CLOUDTASK_RATE_LIMIT_API=off CLOUDTASK_RATE_LIMIT_JOBS_CREATE=off
# The checks log in, refresh and follow mailed links more often than a person would.
export CLOUDTASK_RATE_LIMIT_LOGIN=100/1m CLOUDTASK_RATE_LIMIT_AUTH=200/1m
export CLOUDTASK_ALLOWED_COMMANDS=echo,sleep,true,false,sh
export CLOUDTASK_LIVE_HEARTBEAT_SECONDS=1
# Short-lived access tokens, so that the checks see streams end at expiry and the
# dashboard refresh its token.
export CLOUDTASK_ACCESS_TOKEN_TTL=20
export CLOUDTASK_BOOTSTRAP_ADMIN_EMAIL=admin@live.example.com
[ "$(id -u)" -ne 0 ] || export CLOUDTASK_JOB_USER=root

# A real SMTP server (Debian's aiosmtpd) receives the mail; the browser follows its links.
MAIL_DIR="$DIR/mail"
/usr/bin/python3 scripts/mail/smtp_sink.py --port 0 --out "$MAIL_DIR" >"$DIR/smtp.out" 2>"$DIR/smtp.log" </dev/null &
SMTP=$!
for _ in $(seq 1 100); do grep -q '^ready' "$DIR/smtp.out" 2>/dev/null && break; sleep 0.1; done
SMTP_PORT=$(awk '/^ready/ {print $2}' "$DIR/smtp.out")
[ -n "$SMTP_PORT" ] || fail "the SMTP server did not start: $(cat "$DIR/smtp.log")"
export CLOUDTASK_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" CLOUDTASK_MAIL_FROM=noreply@live.example.com
export CLOUDTASK_PUBLIC_URL="http://127.0.0.1:$API_PORT" MAIL_DIR

.build/debug/cloudtask-api migrate >"$DIR/migrate.log" 2>&1 || fail "migrate"
.build/debug/cloudtask-api >"$DIR/api.log" 2>&1 &
API=$!
.build/debug/cloudtask-worker --worker-id live-w1 --shutdown-grace 5 --metrics-port 0 >"$DIR/worker.log" 2>&1 &
WORKER=$!
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

rm -f "$ARTIFACTS"/*.png
export BASE="http://127.0.0.1:$API_PORT" ADMIN_EMAIL=$CLOUDTASK_BOOTSTRAP_ADMIN_EMAIL WORKER_ID=live-w1 ARTIFACTS
export ACCESS_TOKEN_TTL=$CLOUDTASK_ACCESS_TOKEN_TTL
# The browser registers the admin first (the bootstrap rule), the stream checks log in.
"$VENV/bin/python" scripts/live/browser_check.py || fail "the dashboard in a browser"
"$VENV/bin/python" scripts/live/sse_check.py || fail "the event streams"
echo "live: screenshots in $ARTIFACTS: $(cd "$ARTIFACTS" && ls ./*.png | tr '\n' ' ')"
