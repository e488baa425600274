# Sourced by the test and start scripts: a RabbitMQ node without systemd.
#   rabbitmq_install                  install Debian's rabbitmq-server and librabbitmq-dev when missing
#   rabbitmq_start DIR PORT [TLSPORT TLSDIR]
#                                     start node cloudtask-PORT@localhost on 127.0.0.1:PORT (its Erlang
#                                     distribution takes PORT+20000, so PORT < 45535) with its
#                                     data, logs and config under DIR; with TLSPORT, also an amqps
#                                     listener using TLSDIR/{ca,server}.pem and server.key
#                                     (with RABBITMQ_MANAGEMENT_PORT set, the HTTP API listens there)
#   rabbitmq_stop DIR PORT            stop it
#   rabbitmq_node PORT                the node name, for rabbitmqctl -n
# consumer_timeout is raised to 2 hours: a job may run an hour, and RabbitMQ would
# otherwise close the channel of a consumer that holds a message for 30 minutes.
# Loopback only, guest/guest: for tests and a developer machine, never production.

rabbitmq_install() {
  local missing=()
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  [ -f /usr/include/amqp.h ] || missing+=(librabbitmq-dev)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (Debian packages)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # policy-rc.d keeps the package from starting a system-wide node.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

rabbitmq_node() { echo "cloudtask-$1@localhost"; }

# Runs a RabbitMQ command with the node's environment (Debian's wrappers switch to
# the rabbitmq user when run as root; `su` keeps these variables).
rabbitmq_env() {
  local dir=$1 port=$2; shift 2
  env RABBITMQ_NODENAME="$(rabbitmq_node "$port")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" "$@"
}

rabbitmq_start() {
  local dir=$1 port=$2 tls_port=${3:-} tls_dir=${4:-}
  mkdir -p "$dir/mnesia" "$dir/log"
  {
    echo "consumer_timeout = 7200000"
    if [ -n "$tls_port" ]; then
      echo "listeners.ssl.default = 127.0.0.1:$tls_port"
      echo "ssl_options.cacertfile = $tls_dir/ca.pem"
      echo "ssl_options.certfile = $tls_dir/server.pem"
      echo "ssl_options.keyfile = $tls_dir/server.key"
      echo "ssl_options.verify = verify_none"
      echo "ssl_options.fail_if_no_peer_cert = false"
    fi
  } > "$dir/rabbitmq.conf"
  if [ -n "${RABBITMQ_MANAGEMENT_PORT:-}" ]; then
    # The HTTP API lets end-to-end tests publish raw messages with curl.
    echo "management.tcp.ip = 127.0.0.1" >> "$dir/rabbitmq.conf"
    echo "management.tcp.port = $RABBITMQ_MANAGEMENT_PORT" >> "$dir/rabbitmq.conf"
    echo "[rabbitmq_management]." > "$dir/enabled_plugins"
  else
    echo "[]." > "$dir/enabled_plugins"
  fi
  echo "[]." > "$dir/advanced.config"
  if [ "$(id -u)" -eq 0 ]; then
    if ! su rabbitmq -s /bin/sh -c "test -x '$(dirname "$dir")'" 2>/dev/null; then
      echo "the rabbitmq user cannot enter $(dirname "$dir"): make it (and its parents) searchable (chmod o+x)" >&2
      return 1
    fi
    chown -R rabbitmq:rabbitmq "$dir"
    [ -z "$tls_dir" ] || chown -R rabbitmq:rabbitmq "$tls_dir"
  fi
  # A port already taken is the usual reason a node does not come up, and then it dies
  # before it writes a log: say so instead of waiting for it. Taken means listening
  # (another node, another run on this machine) or the local end of an open connection
  # (these ports are in the ephemeral range: see scripts/lib/ports.sh).
  local taken
  for taken in "$port" "${tls_port:-}" "${RABBITMQ_MANAGEMENT_PORT:-}" $((port + 20000)); do
    [ -n "$taken" ] || continue
    if command -v ss >/dev/null 2>&1 && ss -Htanp "( sport = :$taken )" 2>/dev/null | grep -v TIME-WAIT | grep -q .; then
      echo "RabbitMQ cannot start on port $port: port $taken is in use:" >&2
      ss -Htanp "( sport = :$taken )" >&2 2>/dev/null || true
      return 1
    fi
  done
  rabbitmq_env "$dir" "$port" rabbitmq-server -detached >"$dir/log/detached.out" 2>&1
  # await_startup fails at once while the Erlang node is not reachable yet: retry.
  local attempt
  for attempt in $(seq 1 60); do
    if rabbitmq_env "$dir" "$port" timeout 60 rabbitmqctl -n "$(rabbitmq_node "$port")" await_startup >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "RabbitMQ did not start on port $port; what it printed, its log and epmd's names:" >&2
  tail -20 "$dir/log/detached.out" "$dir"/log/*.log >&2 2>/dev/null || true
  epmd -names >&2 2>/dev/null || true
  return 1
}

rabbitmq_stop() {
  local dir=$1 port=$2
  [ -d "$dir/mnesia" ] || return 0
  rabbitmq_env "$dir" "$port" timeout 60 rabbitmqctl -n "$(rabbitmq_node "$port")" stop >/dev/null 2>&1 || true
}

# Writes a CA, a server certificate for localhost/127.0.0.1 signed by it, and an
# unrelated CA (for the "wrong CA is refused" test) into DIR.
rabbitmq_make_certificates() {
  local dir=$1
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=CloudTask test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Some other CA" \
    -keyout "$dir/other-ca.key" -out "$dir/other-ca.pem" >/dev/null 2>&1
  chmod 644 "$dir"/*.pem "$dir"/*.key
}
