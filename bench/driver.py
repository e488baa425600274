#!/usr/bin/env python3
"""The benchmark's stateful scenarios (wrk does the plain-HTTP ones). Every figure is
printed as one JSON line on stdout; progress goes to stderr.

  driver.py user   --url U --email E                   -> {"token","user_id","job_id"}
  driver.py b3     --url U --token T --user-id ID --dsn D --jobs N [--threads K]
  driver.py b3idle --url U --token T --user-id ID --dsn D --jobs N --interval S
  driver.py b4     --url U --email E --seconds S [--clients 8]   (runs `poll` beside the logins)
  driver.py poll   --url U --seconds S [--interval 0.005]   GET /health/live, p50/p99
  driver.py drain  --dsn D                               waits until no job is unfinished
  driver.py subscribers --url U --token T --pid P --redis-port R [--count 1000]
                   B6: the API's memory and threads with that many idle /events streams

Jobs are counted and timed in the implementation's own database (both give their job
table the columns status, owner_id, created_at and finished_at).
"""
import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

import psycopg2

PASSWORD = "benchmark password 1"
FINAL = "('succeeded','failed','cancelled')"


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def __enter__(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self

    def __exit__(self, *exc):
        self.conn.close()

    def call(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data and data[:1] in b"{[" else None)


def emit(record):
    print(json.dumps(record), flush=True)


def cmd_user(opts):
    with Client(opts.url) as client:
        status, body = client.call("POST", "/api/v1/auth/register", {"email": opts.email, "password": PASSWORD})
        if status == 409:
            status, body = client.call("POST", "/api/v1/auth/login", {"email": opts.email, "password": PASSWORD})
        if status not in (200, 201):
            sys.exit(f"cannot register or log in {opts.email}: {status} {body}")
        token = body["access_token"]
        status, me = client.call("GET", "/api/v1/users/me", token=token) if "user" not in body else (200, body["user"])
        status, job = client.call("POST", "/api/v1/jobs", {"command": "true"}, token=token)
        if status != 201:
            sys.exit(f"cannot create a job: {status} {job}")
        emit({"token": token, "user_id": me["id"], "job_id": job["id"]})


def final_count(cur, user_id):
    cur.execute(f"SELECT count(*) FROM jobs WHERE owner_id = %s AND status IN {FINAL}", (user_id,))
    return cur.fetchone()[0]


def latencies(cur, user_id, since_count):
    """p50/p99 of finished_at - created_at over the user's newest `since_count` jobs, in ms."""
    cur.execute(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d), "
        "count(*) FILTER (WHERE status <> 'succeeded') FROM ("
        "  SELECT extract(epoch FROM finished_at - created_at) * 1000 AS d, status FROM jobs"
        "  WHERE owner_id = %s ORDER BY created_at DESC LIMIT %s) AS recent",
        (user_id, since_count))
    return cur.fetchone()


def submit(url, token, count, failures):
    with Client(url) as client:
        for _ in range(count):
            status, body = client.call("POST", "/api/v1/jobs", {"command": "true"}, token=token)
            if status != 201:
                failures.append((status, body))


CLOCK_TICKS = __import__("os").sysconf("SC_CLK_TCK")
# Process names (comm) grouped as the stack's parts, for the CPU breakdown.
GROUPS = {"cloudtask-api": "api", "cloudtask-worke": "worker", "beam.smp": "rabbitmq", "postgres": "postgres",
          "redis-server": "redis", "gunicorn": "api", "celery": "worker", "true": "jobs"}


def machine_cpu_seconds():
    """CPU time of the whole machine so far (every process, the kernel's work included; idle and iowait left out)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def cpu_by_group():
    """CPU seconds of each process now, with what it reaped of its children (a worker's
    `true` processes, the postmaster's backends), summed by part of the stack."""
    import os
    totals = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        group = GROUPS.get(comm, "python" if comm.startswith("python") else "other")
        totals[group] = totals.get(group, 0.0) + (utime + stime + cutime + cstime) / CLOCK_TICKS
    return totals


def commits(cur):
    cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    return cur.fetchone()[0]


def cmd_b3(opts):
    db = psycopg2.connect(opts.dsn)
    db.autocommit = True
    cur = db.cursor()
    before = final_count(cur, opts.user_id)
    cpu_before, groups_before, commits_before = machine_cpu_seconds(), cpu_by_group(), commits(cur)
    failures = []
    per_thread = [opts.jobs // opts.threads + (1 if i < opts.jobs % opts.threads else 0) for i in range(opts.threads)]
    threads = [threading.Thread(target=submit, args=(opts.url, opts.token, n, failures)) for n in per_thread]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitted = time.monotonic()
    if failures:
        sys.exit(f"{len(failures)} submissions failed, e.g. {failures[0]}")
    target = before + opts.jobs
    deadline = submitted + opts.timeout
    polls = 1
    while final_count(cur, opts.user_id) < target:
        polls += 1
        if time.monotonic() > deadline:
            sys.exit(f"only {final_count(cur, opts.user_id) - before} of {opts.jobs} jobs final after {opts.timeout} s")
        time.sleep(0.01)
    finished = time.monotonic()
    # The machine's time includes the driver's (shown apart as "python" in the breakdown).
    cpu = machine_cpu_seconds() - cpu_before
    groups_after = cpu_by_group()
    # PostgreSQL publishes a backend's counts within a second; the driver's own polls
    # (one autocommit transaction each, and the first reading) are not the service's.
    time.sleep(1.5)
    transactions = commits(cur) - commits_before - polls - 1
    p50, p99, unsuccessful = latencies(cur, opts.user_id, opts.jobs)
    emit({"bench": opts.label, "impl": opts.impl, "jobs": opts.jobs, "workers": opts.workers,
          "jobs_per_s": round(opts.jobs / (finished - started), 1),
          "submit_per_s": round(opts.jobs / (submitted - started), 1),
          "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "not_succeeded": unsuccessful,
          "cpu_ms_per_job": round(cpu * 1000 / opts.jobs, 2),
          "cpu_ms_per_job_by_part": {group: round(max(0.0, groups_after.get(group, 0.0) - groups_before.get(group, 0.0)) * 1000 / opts.jobs, 2)
                                     for group in sorted(set(groups_after) | set(groups_before))},
          "pg_commits_per_job": round(transactions / opts.jobs, 2)})


def cmd_b3idle(opts):
    """Jobs one at a time at a pace the system keeps up with: the latency of an idle system."""
    db = psycopg2.connect(opts.dsn)
    db.autocommit = True
    cur = db.cursor()
    before = final_count(cur, opts.user_id)
    with Client(opts.url) as client:
        for _ in range(opts.jobs):
            status, body = client.call("POST", "/api/v1/jobs", {"command": "true"}, token=opts.token)
            if status != 201:
                sys.exit(f"submission failed: {status} {body}")
            time.sleep(opts.interval)
    deadline = time.monotonic() + opts.timeout
    while final_count(cur, opts.user_id) < before + opts.jobs:
        if time.monotonic() > deadline:
            sys.exit("jobs did not finish")
        time.sleep(0.05)
    p50, p99, unsuccessful = latencies(cur, opts.user_id, opts.jobs)
    emit({"bench": opts.label, "impl": opts.impl, "jobs": opts.jobs, "interval_ms": opts.interval * 1000,
          "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "not_succeeded": unsuccessful})


def cmd_b4(opts):
    with Client(opts.url) as client:
        status, _ = client.call("POST", "/api/v1/auth/register", {"email": opts.email, "password": PASSWORD})
        if status not in (201, 409):
            sys.exit(f"cannot register {opts.email}: {status}")
    stop = threading.Event()
    counts = [0] * opts.clients
    errors = []

    def log_in(index):
        with Client(opts.url) as client:
            while not stop.is_set():
                status, body = client.call("POST", "/api/v1/auth/login", {"email": opts.email, "password": PASSWORD})
                if status == 200:
                    counts[index] += 1
                else:
                    errors.append(status)

    threads = [threading.Thread(target=log_in, args=(i,)) for i in range(opts.clients)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # bcrypt saturated before the health check is measured
    logins_before = sum(counts)
    started = time.monotonic()
    # The health checks come from a process of their own, so that the login threads'
    # interpreter lock never delays a measurement.
    health = subprocess.Popen(
        [sys.executable, __file__, "poll", "--url", opts.url, "--seconds", str(opts.seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = health.communicate()
    logins = sum(counts) - logins_before
    elapsed = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join()
    line = [l for l in out.splitlines() if l.startswith("{")]
    if not line:
        sys.exit(f"the health poller printed no figure: {out} {err}")
    figure = json.loads(line[-1])
    emit({"bench": "B4", "impl": opts.impl, "clients": opts.clients,
          "logins_per_s": round(logins / elapsed, 1), "login_errors": len(errors),
          "health_checks": figure["checks"], "health_p50_ms": figure["p50_ms"], "health_p99_ms": figure["p99_ms"],
          "health_max_ms": figure["max_ms"]})


def cmd_poll(opts):
    """GET /health/live every `interval` seconds on one keep-alive connection."""
    samples = []
    deadline = time.monotonic() + opts.seconds
    with Client(opts.url) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = client.call("GET", "/health/live")
            samples.append((time.perf_counter() - started) * 1000)
            if status != 200:
                sys.exit(f"/health/live answered {status}")
            time.sleep(opts.interval)
    samples.sort()
    emit({"checks": len(samples), "p50_ms": round(samples[len(samples) // 2], 3),
          "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3), "max_ms": round(samples[-1], 3)})


def proc_status(pid):
    """VmRSS and VmHWM in MiB, and the thread count, of a process."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else ""
    return {"rss_mib": round(int(fields["VmRSS"]) / 1024, 1), "hwm_mib": round(int(fields["VmHWM"]) / 1024, 1),
            "threads": int(fields["Threads"])}


def redis_clients(port):
    """Redis's connections (this redis-cli's own left out), and the subscribers of the
    job-changes channel."""
    out = subprocess.run(["redis-cli", "-p", str(port), "client", "list"], capture_output=True, text=True, check=True).stdout
    numsub = subprocess.run(["redis-cli", "-p", str(port), "pubsub", "numsub", "cloudtask:job-changes"],
                            capture_output=True, text=True, check=True).stdout.split()
    return len([line for line in out.splitlines() if line.strip()]) - 1, int(numsub[-1])


def cmd_subscribers(opts):
    """B6: `count` idle subscribers of GET /api/v1/events, each on its own connection;
    the API's memory, threads and Redis connections before, with them, and after; then
    one job's status change fanned out to all of them (time until the last has it)."""
    import asyncio
    parts = urllib.parse.urlsplit(opts.url)
    request = (f"GET /api/v1/events HTTP/1.1\r\nHost: {parts.hostname}\r\nAuthorization: Bearer {opts.token}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()

    async def run():
        before = proc_status(opts.pid)
        redis_before = redis_clients(opts.redis_port)
        opened, heard = [], []
        job_created = asyncio.Event()
        created_at = [0.0]

        async def subscriber():
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(request)
            await writer.drain()
            buffer = b""
            while b"retry:" not in buffer:
                chunk = await reader.read(4096)
                if not chunk:
                    raise RuntimeError("stream closed before it opened: " + buffer[:200].decode(errors="replace"))
                buffer += chunk
            if not buffer.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(buffer[:200].decode(errors="replace"))
            opened.append(writer)
            await job_created.wait()
            while b"event: status" not in buffer:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                buffer += chunk
            heard.append(time.perf_counter() - created_at[0])

        # Open them in waves, so the listen backlog is not the thing measured.
        tasks = []
        for start in range(0, opts.count, 100):
            tasks += [asyncio.create_task(subscriber()) for _ in range(min(100, opts.count - start))]
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 60
        while len(opened) < opts.count and time.monotonic() < deadline:
            failed = [t for t in tasks if t.done() and t.exception()]
            if failed:
                raise failed[0].exception()
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # let the process settle
        during = proc_status(opts.pid)
        redis_during = redis_clients(opts.redis_port)

        # One change, fanned out to every subscriber.
        created_at[0] = time.perf_counter()
        job_created.set()
        with Client(opts.url) as client:
            status, _ = client.call("POST", "/api/v1/jobs", {"command": "true"}, opts.token)
            if status != 201:
                sys.exit(f"POST /jobs answered {status}")
        await asyncio.wait(tasks, timeout=30)
        for writer in opened:
            writer.close()
        await asyncio.sleep(3)
        after = proc_status(opts.pid)
        heard.sort()
        emit({"bench": "B6", "impl": "cloudtask", "subscribers": opts.count, "connected": len(opened),
              "rss_mib_before": before["rss_mib"], "rss_mib_with": during["rss_mib"], "rss_mib_after": after["rss_mib"],
              "kib_per_subscriber": round((during["rss_mib"] - before["rss_mib"]) * 1024 / max(1, len(opened)), 1),
              "threads_before": before["threads"], "threads_with": during["threads"],
              "redis_connections_before": redis_before[0], "redis_connections_with": redis_during[0],
              "job_change_subscriptions_with": redis_during[1],
              "fanout_received": len(heard),
              "fanout_p50_ms": round(heard[len(heard) // 2] * 1000, 1) if heard else None,
              "fanout_last_ms": round(heard[-1] * 1000, 1) if heard else None})

    asyncio.run(run())


def cmd_drain(opts):
    db = psycopg2.connect(opts.dsn)
    db.autocommit = True
    cur = db.cursor()
    deadline = time.monotonic() + opts.timeout
    while True:
        cur.execute(f"SELECT count(*) FROM jobs WHERE status NOT IN {FINAL}")
        left = cur.fetchone()[0]
        if left == 0:
            return
        if time.monotonic() > deadline:
            sys.exit(f"{left} jobs still unfinished after {opts.timeout} s")
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    user = sub.add_parser("user")
    user.add_argument("--url", required=True)
    user.add_argument("--email", required=True)
    for name in ("b3", "b3idle"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--token", required=True)
        p.add_argument("--user-id", required=True)
        p.add_argument("--dsn", required=True)
        p.add_argument("--jobs", type=int, default=2000)
        p.add_argument("--impl", default="?")
        p.add_argument("--label", default=name.upper())
        p.add_argument("--timeout", type=float, default=300)
    sub.choices["b3"].add_argument("--threads", type=int, default=32)
    sub.choices["b3"].add_argument("--workers", type=int, default=1)
    sub.choices["b3idle"].add_argument("--interval", type=float, default=0.05)
    b4 = sub.add_parser("b4")
    b4.add_argument("--url", required=True)
    b4.add_argument("--email", required=True)
    b4.add_argument("--seconds", type=int, default=10)
    b4.add_argument("--clients", type=int, default=8)
    b4.add_argument("--impl", default="?")
    poll = sub.add_parser("poll")
    poll.add_argument("--url", required=True)
    poll.add_argument("--seconds", type=int, default=10)
    poll.add_argument("--interval", type=float, default=0.005)
    subscribers = sub.add_parser("subscribers")
    subscribers.add_argument("--url", required=True)
    subscribers.add_argument("--token", required=True)
    subscribers.add_argument("--pid", type=int, required=True)
    subscribers.add_argument("--redis-port", type=int, required=True)
    subscribers.add_argument("--count", type=int, default=1000)
    drain = sub.add_parser("drain")
    drain.add_argument("--dsn", required=True)
    drain.add_argument("--timeout", type=float, default=600)
    opts = parser.parse_args()
    {"user": cmd_user, "b3": cmd_b3, "b3idle": cmd_b3idle, "b4": cmd_b4, "poll": cmd_poll, "drain": cmd_drain,
     "subscribers": cmd_subscribers}[opts.command](opts)


if __name__ == "__main__":
    main()
