# shellcheck shell=bash
# A throwaway S3 protocol server for the tests: moto's server mode (PyPI, pinned), in a
# virtualenv under .build/ unless the python3 on PATH already has that version.
MOTO_VERSION=5.2.1

# Prints the python that can run moto's server, installing it first if need be.
moto_python() {
  if python3 -c "import moto, moto.server, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" >/dev/null 2>&1; then
    command -v python3
    return
  fi
  local venv=.build/moto-venv
  if ! "$venv/bin/python" -c "import moto, moto.server, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" >/dev/null 2>&1; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet "moto[server]==$MOTO_VERSION" >&2
  fi
  echo "$venv/bin/python"
}

# moto_start DIR PORT: starts the server on 127.0.0.1:PORT (its pid in DIR/pid) and waits until it answers.
moto_start() {
  local dir=$1 port=$2 python
  python=$(moto_python)
  mkdir -p "$dir"
  "$python" -m moto.server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  disown  # its end (a SIGKILL from moto_stop) is not the shell's news
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "moto did not start on port $port; its log:" >&2
  cat "$dir/moto.log" >&2
  return 1
}

# moto_stop DIR: stops the server started in DIR (if any).
moto_stop() {
  local dir=$1
  [ -f "$dir/pid" ] || return 0
  kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  rm -f "$dir/pid"
}
