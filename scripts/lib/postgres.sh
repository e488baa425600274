# Sourced by the test and start scripts: a PostgreSQL cluster without systemd.
#   postgres_install                 install Debian's server packages when missing
#   postgres_start DIR PORT          initdb (if DIR is new) and start on 127.0.0.1:PORT
#   postgres_stop DIR                stop it
# The cluster trusts local connections: it listens on loopback only and is for tests
# and a single developer machine, never for production.

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

postgres_install() {
  if [ -z "$(postgres_bin)" ] || [ ! -x "$(postgres_bin)/initdb" ]; then
    echo "== installing PostgreSQL (Debian's postgresql package)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
}

# Runs a command as the cluster's owner: `postgres` when we are root (initdb refuses
# root), ourselves otherwise.
postgres_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

postgres_start() {
  local dir=$1 port=$2 bin
  bin=$(postgres_bin)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    postgres_as_owner "'$bin/initdb' -D '$dir/data' -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  fi
  postgres_as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
    -o \"-k '$dir' -c listen_addresses=127.0.0.1 -p $port -c max_connections=200\" start" >/dev/null
}

postgres_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  postgres_as_owner "'$(postgres_bin)/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
}
