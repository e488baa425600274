# shellcheck shell=bash
# The tests' OTLP trace receiver (scripts/otlp/receiver.py): the OpenTelemetry protobuf
# definitions from PyPI (pinned), in a virtualenv under .build/ unless the python3 on
# PATH already has that version.
OTLP_PROTO_VERSION=1.38.0
# shellcheck source=pyvenv.sh
. "$(dirname "${BASH_SOURCE[0]}")/pyvenv.sh"

# Prints the python that can run the receiver, installing its definitions first if need be.
otlp_python() {
  venv_python otlp "import importlib.metadata as m, sys; sys.exit(m.version('opentelemetry-proto') != '$OTLP_PROTO_VERSION')" \
    "opentelemetry-proto==$OTLP_PROTO_VERSION"
}

# otlp_start DIR PORT [--count-only]: starts the receiver on 127.0.0.1:PORT (its pid in
# DIR/pid) and waits until it answers.
otlp_start() {
  local dir=$1 port=$2
  shift 2
  server_start "$dir" otlp "http://127.0.0.1:$port/health" "$(otlp_python)" scripts/otlp/receiver.py --port "$port" "$@"
}

# otlp_stop DIR: stops the receiver started in DIR (if any).
otlp_stop() { server_stop "$1"; }
