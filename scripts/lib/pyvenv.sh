# shellcheck shell=bash
# A Python tool from PyPI, pinned, for the test scripts: the python3 on PATH when it
# already passes CHECK, else a virtualenv under .build/ made once with the package.

# venv_python NAME CHECK PACKAGE: prints the python that passes CHECK (a python -c
# program exiting 0), installing PACKAGE into .build/NAME-venv first if need be.
venv_python() {
  local name=$1 check=$2 package=$3
  if python3 -c "$check" >/dev/null 2>&1; then
    command -v python3
    return
  fi
  local venv=.build/$name-venv
  if ! "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet "$package" >&2
  fi
  echo "$venv/bin/python"
}

# server_start DIR NAME URL COMMAND...: runs COMMAND in the background (its pid in
# DIR/pid, its output in DIR/NAME.log) and waits up to 15 s until URL answers.
server_start() {
  local dir=$1 name=$2 url=$3
  shift 3
  mkdir -p "$dir"
  "$@" >"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  disown  # its end (a SIGKILL from server_stop) is not the shell's news
  for _ in $(seq 1 150); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$name did not start ($url); its log:" >&2
  cat "$dir/$name.log" >&2
  return 1
}

# server_stop DIR: stops the server started in DIR (if any).
server_stop() {
  local dir=$1
  [ -f "$dir/pid" ] || return 0
  kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  rm -f "$dir/pid"
}
