# Sourced by the test, start and bench scripts.
#   reserve_fixed_ports   as root: keep the kernel from handing out the fixed ports these
#                         scripts give PostgreSQL, Redis and RabbitMQ as the local end of
#                         outgoing connections
# Those ports lie in Linux's ephemeral range (32768–60999). An outgoing connection given,
# say, 35712 or 55712 blocks a server started on it later; a RabbitMQ node whose port or
# Erlang distribution port (its port + 20000) is taken dies before it writes a log. As
# root, the ranges are added to net.ipv4.ip_local_reserved_ports (until the next boot);
# otherwise nothing changes, and such a collision stays possible, if rare.
reserve_fixed_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports
  { [ "$(id -u)" -eq 0 ] && [ -w "$file" ]; } || return 0
  local current
  current=$(cat "$file")
  # RabbitMQ 35680–35800 (AMQP, amqps, management) and 55680–55800 (distribution);
  # PostgreSQL 54320–55600; Redis 56370–56500.
  echo "${current:+$current,}35680-35800,54320-56500" > "$file" 2>/dev/null || true
}
