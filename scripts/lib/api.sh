# Sourced by the outage checks: one way to start the API they test.
#   api_settings PORT            exports the settings every check's API shares (secrets for the run)
#   api_start LOG [ARGS…]        migrates, starts `cloudtask-api ARGS…` with its output in LOG,
#                                waits until it answers; sets API (its pid) and B (its URL)
#   api_wait_live                waits (10 s at most) until $B answers /health/live

api_settings() {
  export CLOUDTASK_JWT_ACCESS_SECRET=outage-check-access-secret-0123456789abcdef
  export CLOUDTASK_JWT_REFRESH_SECRET=outage-check-refresh-secret-0123456789abcdef
  export CLOUDTASK_HTTP_PORT=$1 CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text
  B="http://127.0.0.1:$1"
}

api_wait_live() {
  for _ in $(seq 1 100); do curl -fsS "$B/health/live" >/dev/null 2>&1 && return 0; sleep 0.1; done
}

api_start() {
  local log=$1; shift
  .build/debug/cloudtask-api migrate >/dev/null 2>&1 || fail "migrate"
  .build/debug/cloudtask-api "$@" >"$log" 2>&1 &
  API=$!
  api_wait_live
}
