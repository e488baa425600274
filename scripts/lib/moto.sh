# shellcheck shell=bash
# A throwaway S3 protocol server for the tests: moto's server mode (PyPI, pinned), in a
# virtualenv under .build/ unless the python3 on PATH already has that version.
MOTO_VERSION=5.2.1
# shellcheck source=pyvenv.sh
. "$(dirname "${BASH_SOURCE[0]}")/pyvenv.sh"

# Prints the python that can run moto's server, installing it first if need be.
moto_python() {
  venv_python moto "import moto, moto.server, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" "moto[server]==$MOTO_VERSION"
}

# moto_start DIR PORT: starts the server on 127.0.0.1:PORT (its pid in DIR/pid) and waits until it answers.
moto_start() {
  server_start "$1" moto "http://127.0.0.1:$2/moto-api/" "$(moto_python)" -m moto.server -H 127.0.0.1 -p "$2"
}

# moto_stop DIR: stops the server started in DIR (if any).
moto_stop() { server_stop "$1"; }
