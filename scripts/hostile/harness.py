#!/usr/bin/env python3
"""The hostile tenants and the well-behaved one (driven by scripts/hostile-check.sh).

Hostile users, for a bounded time: submit jobs that print random bytes (echo -e with
random escapes, NUL and invalid UTF-8 included; date -f of a stream of random bytes;
sha256sum of odd files), push cursors, numbers, dates and headers to their limits and
past them, send bodies that are not JSON, open streams and walk away (never reading),
stop jobs while they start, log out while streaming, and change passwords with wrong
current passwords. Meanwhile one well-behaved user submits `echo` jobs, one at a time,
and waits for each to finish.

Passes when: every well-behaved job succeeded with its output; no response was a 5xx;
the API answered /health/live at the end (its process is checked by the script); the
peak resident memory of each process stayed under --max-rss-mib; every hostile job
reached a final status; streams of a logged-out session ended. Prints the figures.
Standard library only.
"""
import argparse
import base64
import collections
import http.client
import json
import random
import socket
import threading
import time
import urllib.parse
import uuid

FINAL = {"succeeded", "failed", "cancelled"}


class Stats:
    """Everything the run counts, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_class = collections.Counter()
        self.server_errors = []
        self.hostile_jobs = set()
        self.good_latencies = []
        self.good_failures = []
        self.streams_walked_away = 0
        self.logout_stream_ends = []
        self.peak_rss = collections.defaultdict(int)

    def response(self, method, path, status, body=b""):
        with self.lock:
            self.by_class[f"{status // 100}xx"] += 1
            if status >= 500:
                self.server_errors.append(f"{method} {path[:120]} -> {status} {body[:200]!r}")


class Client:
    """One user's HTTP calls (a connection per call: simple, and what a crowd does)."""

    def __init__(self, base, stats):
        self.parts = urllib.parse.urlsplit(base)
        self.stats = stats
        self.token = None
        self.refresh = None

    def call(self, method, path, body=None, headers=None, raw=None, count=True, timeout=30):
        connection = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=timeout)
        all_headers = dict(headers or {})
        if self.token and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if payload is not None and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        except (ConnectionError, socket.timeout, http.client.HTTPException) as error:
            # A connection the server dropped (not an answer): a 5xx in effect.
            if count:
                self.stats.response(method, path, 599, repr(error).encode())
            return 599, b""
        finally:
            connection.close()
        if count:
            self.stats.response(method, path, response.status, data)
        return response.status, data

    def json(self, method, path, body=None, **kwargs):
        status, data = self.call(method, path, body, **kwargs)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def register(self, email, password="correct horse"):
        status, body = self.json("POST", "/api/v1/auth/register", {"email": email, "password": password})
        if status != 201:
            raise SystemExit(f"register {email}: {status} {body}")
        self.token, self.refresh = body["access_token"], body["refresh_token"]

    def login(self, email, password="correct horse"):
        status, body = self.json("POST", "/api/v1/auth/login", {"email": email, "password": password})
        return body["access_token"] if status == 200 else None


def b64url(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def random_escapes(rng):
    """An echo -e argument of random escapes: NUL, invalid UTF-8, control bytes, text."""
    pieces = []
    for _ in range(rng.randint(1, 40)):
        kind = rng.random()
        if kind < 0.4:
            pieces.append("\\x%02x" % rng.randint(0, 255))
        elif kind < 0.5:
            pieces.append("\\0")
        elif kind < 0.6:
            pieces.append("\\0%03o" % rng.randint(0, 255))
        else:
            pieces.append(rng.choice(["a", "é", "日本", "\\n", "\\t", "\\\\", "%", "\\e[31m"]))
    return "".join(pieces)


def hostile_job(rng):
    choice = rng.randint(0, 6)
    if choice <= 2:
        return {"command": "echo", "args": ["-e", random_escapes(rng)]}
    if choice == 3:
        # Random bytes as dates: an error per line on stderr, invalid UTF-8 and NUL included, until the timeout.
        return {"command": "date", "args": ["-f", "/dev/urandom"], "timeout_seconds": 2}
    if choice == 4:
        return {"command": "sha256sum", "args": [rng.choice(["/dev/null", "/etc/shadow", "/proc/self/status", "/nonexistent", "/dev/zero"])],
                "timeout_seconds": 2}
    if choice == 5:
        return {"command": "sleep", "args": [str(rng.choice([1, 2, 3]))], "max_attempts": rng.randint(1, 3)}
    return {"command": "false", "max_attempts": 3}


def hostile_query(rng, cursor):
    choice = rng.randint(0, 7)
    if choice == 0:
        return "/api/v1/jobs?cursor=" + b64url(f"1:{rng.choice(['9999999999999999', '-1', '253402300800000', '1e9', '٣'])}:{uuid.uuid4()}")
    if choice == 1:
        return "/api/v1/jobs?limit=" + urllib.parse.quote(rng.choice(["0", "-1", "101", "99999999999999999999", "1e3", "NaN", "", "%00"]))
    if choice == 2:
        return "/api/v1/jobs?cursor=" + urllib.parse.quote("".join(chr(rng.randint(1, 0x2FF)) for _ in range(rng.randint(0, 200))))
    if choice == 3 and cursor:
        mutated = list(cursor)
        mutated[rng.randrange(len(mutated))] = rng.choice("A_-=/+~")
        return "/api/v1/jobs?cursor=" + urllib.parse.quote("".join(mutated))
    if choice == 4:
        return "/api/v1/jobs/" + rng.choice(["not-a-uuid", str(uuid.uuid4()), "%00", "..%2f..%2fetc%2fpasswd", "x" * 300])
    if choice == 5:
        return "/api/v1/jobs?status=" + urllib.parse.quote(rng.choice(["running", "RUNNING", "", "\x00", "queued;DROP TABLE jobs"]))
    if choice == 6:
        return "/api/v1/jobs/" + str(uuid.uuid4()) + "/output?stream=" + rng.choice(["stdout", "nope", ""]) + "&follow=" + rng.choice(["0", "2"])
    return "/api/v1/users/me"


def hostile_body(rng):
    choice = rng.randint(0, 7)
    if choice == 0:
        return b'{"command": "echo",}'
    if choice == 1:
        return b'{"command":"echo","priority":1e999}'
    if choice == 2:
        return b'{"command":"echo","run_at":"99999-01-01T00:00:00Z"}'
    if choice == 3:
        return b'{"command":"echo","timeout_seconds":9223372036854775808}'
    if choice == 4:
        return json.dumps({"command": "echo", "args": ["x" * 4096] * 16 + ["y" * 5000]}).encode()
    if choice == 5:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
    if choice == 6:
        return b'{"command":"echo","args":["\\u0000"]}'
    return b'[' * 10000 + b']' * 10000


class Hostile(threading.Thread):
    def __init__(self, index, base, stats, deadline, seed):
        super().__init__(daemon=True)
        self.index, self.base, self.stats, self.deadline = index, base, stats, deadline
        self.rng = random.Random(seed)
        self.client = Client(base, stats)
        self.email = f"hostile{index}-{uuid.uuid4().hex[:6]}@example.com"
        self.cursor = None
        self.open_sockets = []

    def run(self):
        self.client.register(self.email)
        # Weighted: the quick abuses often, the slow ones (a logout waits for its stream to end) now and then.
        actions = [(self.submit, 6), (self.query, 8), (self.bad_body, 4), (self.headers, 2), (self.walk_away, 1),
                   (self.stop_while_starting, 2), (self.logout_while_streaming, 0.3), (self.wrong_password, 1)]
        functions, weights = zip(*actions)
        while time.time() < self.deadline:
            self.rng.choices(functions, weights)[0]()
        for sock in self.open_sockets:
            sock.close()

    def submit(self):
        status, body = self.client.json("POST", "/api/v1/jobs", hostile_job(self.rng))
        if status == 201 and body:
            with self.stats.lock:
                self.stats.hostile_jobs.add((self.client.token, body["id"]))

    def query(self):
        status, body = self.client.json("GET", hostile_query(self.rng, self.cursor))
        if status == 200 and isinstance(body, dict) and body.get("next_cursor"):
            self.cursor = body["next_cursor"]
        elif self.rng.random() < 0.2:
            _, page = self.client.json("GET", "/api/v1/jobs?limit=1")
            if isinstance(page, dict):
                self.cursor = page.get("next_cursor")

    def bad_body(self):
        headers = {"Content-Type": self.rng.choice(["application/json", "text/plain", "application/json; charset=latin1"])}
        self.client.call("POST", "/api/v1/jobs", raw=hostile_body(self.rng), headers=headers)

    def headers(self):
        self.client.call("GET", "/api/v1/jobs", headers={
            "X-Request-ID": self.rng.choice(["", "x" * 500, "a\tb", "ok-id"]),
            "Idempotency-Key": "k" * self.rng.choice([0, 1, 255, 256]),
            "Last-Event-ID": self.rng.choice(["99999999999999999999.1.1.1.1", "-1.0.0.0.0", "x"]),
            "X-Forwarded-For": ", ".join("203.0.113.%d" % self.rng.randint(0, 255) for _ in range(self.rng.randint(1, 50)))})

    def walk_away(self):
        """Opens a stream (a job's, of a chatty job, or the user's watch) and never reads it."""
        path = "/api/v1/events"
        if self.stats.hostile_jobs and self.rng.random() < 0.5:
            _, body = self.client.json("POST", "/api/v1/jobs", {"command": "date", "args": ["-f", "/dev/urandom"], "timeout_seconds": 3})
            if isinstance(body, dict) and "id" in body:
                with self.stats.lock:
                    self.stats.hostile_jobs.add((self.client.token, body["id"]))
                path = f"/api/v1/jobs/{body['id']}/events"
        sock = socket.create_connection((self.client.parts.hostname, self.client.parts.port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.client.token}\r\n\r\n".encode())
        self.open_sockets.append(sock)
        with self.stats.lock:
            self.stats.streams_walked_away += 1
        if len(self.open_sockets) > 12:
            self.open_sockets.pop(0).close()

    def stop_while_starting(self):
        status, body = self.client.json("POST", "/api/v1/jobs", {"command": "sleep", "args": ["5"]})
        if status == 201 and body:
            with self.stats.lock:
                self.stats.hostile_jobs.add((self.client.token, body["id"]))
            time.sleep(self.rng.random() * 0.3)
            self.client.call("POST", f"/api/v1/jobs/{body['id']}/stop")

    def logout_while_streaming(self):
        """A second session streams; it logs out; the stream must end by itself soon after."""
        token = Client(self.base, self.stats).login(self.email)
        if not token:
            return
        sock = socket.create_connection((self.client.parts.hostname, self.client.parts.port), timeout=30)
        sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        first = sock.recv(4096)
        if not first.startswith(b"HTTP/1.1 200"):
            sock.close()  # a cap or a limit answered: nothing to watch
            return
        other = Client(self.base, self.stats)
        other.token = token
        other.call("POST", "/api/v1/auth/logout", body={})
        started = time.time()
        ended = None
        received = first
        sock.settimeout(1)
        try:
            # The stream ends with the chunked body's last chunk (the connection may stay open).
            while time.time() - started < 20:
                try:
                    chunk = sock.recv(4096)
                except socket.timeout:
                    continue
                received += chunk
                if not chunk or b"\r\n0\r\n\r\n" in received[-64:] or received.endswith(b"0\r\n\r\n"):
                    ended = time.time() - started
                    break
        except ConnectionError:
            ended = time.time() - started
        finally:
            sock.close()
        with self.stats.lock:
            self.stats.logout_stream_ends.append(ended)

    def wrong_password(self):
        self.client.call("POST", "/api/v1/users/me/password",
                         body={"current_password": "wrong guess %d" % self.rng.randint(0, 1e6), "new_password": "irrelevant!"})


class WellBehaved(threading.Thread):
    def __init__(self, base, stats, deadline):
        super().__init__(daemon=True)
        self.client, self.stats, self.deadline = Client(base, stats), stats, deadline

    def run(self):
        self.client.register(f"good-{uuid.uuid4().hex[:6]}@example.com")
        number = 0
        while time.time() < self.deadline:
            number += 1
            text = f"hello {number}"
            started = time.time()
            status, body = self.client.json("POST", "/api/v1/jobs", {"command": "echo", "args": [text]})
            if status != 201:
                self.stats.good_failures.append(f"submit {number}: {status}")
                time.sleep(0.5)
                continue
            job_id, job = body["id"], body
            while job["status"] not in FINAL and time.time() - started < 60:
                time.sleep(0.1)
                status, fetched = self.client.json("GET", f"/api/v1/jobs/{job_id}")
                if status == 200:
                    job = fetched
            latency = time.time() - started
            _, output = self.client.json("GET", f"/api/v1/jobs/{job_id}/output")
            with self.stats.lock:
                if job["status"] == "succeeded" and output and output.get("stdout") == text + "\n":
                    self.stats.good_latencies.append(latency)
                else:
                    self.stats.good_failures.append(f"job {job_id}: {job['status']} output {output}")
            time.sleep(0.2)


def sample_memory(pids, stats, stop):
    while not stop.is_set():
        for name, pid in pids.items():
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            kib = int(line.split()[1])
                            with stats.lock:
                                stats.peak_rss[name] = max(stats.peak_rss[name], kib)
            except OSError:
                pass
        stop.wait(0.5)


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--hostile-users", type=int, default=4)
    parser.add_argument("--pid", action="append", default=[], help="NAME=PID of a process whose memory is watched")
    parser.add_argument("--max-rss-mib", type=int, default=768)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    print(f"hostile: {options.hostile_users} hostile users and one well-behaved user for {options.seconds:.0f} s (seed {seed})")

    stats = Stats()
    pids = dict(item.split("=", 1) for item in options.pid)
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(pids, stats, stop), daemon=True)
    sampler.start()
    deadline = time.time() + options.seconds
    threads = [Hostile(index, options.base, stats, deadline, seed + index) for index in range(options.hostile_users)]
    threads.append(WellBehaved(options.base, stats, deadline))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=options.seconds + 120)

    # Every hostile job ends in a final status (timeouts are 2-3 s, sleeps at most 5 s, retries back off).
    checker = Client(options.base, stats)
    outcomes = collections.Counter()
    pending = set(stats.hostile_jobs)
    settle_deadline = time.time() + 120
    while pending and time.time() < settle_deadline:
        for token, job_id in list(pending):
            checker.token = token
            status, job = checker.json("GET", f"/api/v1/jobs/{job_id}", count=False)
            if status == 200 and job["status"] in FINAL:
                code = (job.get("error") or {}).get("code")
                outcomes[job["status"] + (f" ({code})" if code else "")] += 1
                pending.discard((token, job_id))
            elif status == 401:
                # The session was logged out by the harness itself: log in again is not possible
                # without the password here, so ask as that user's other token is gone; count it apart.
                outcomes["unreadable (session revoked)"] += 1
                pending.discard((token, job_id))
        if pending:
            time.sleep(1)
    stop.set()
    live_status, _ = Client(options.base, stats).call("GET", "/health/live", count=False)

    print("hostile: requests by class: " + ", ".join(f"{key} {value}" for key, value in sorted(stats.by_class.items())))
    print("hostile: hostile jobs by outcome: " + ", ".join(f"{key} {value}" for key, value in sorted(outcomes.items()))
          + (f", not final {len(pending)}" if pending else ""))
    print(f"hostile: well-behaved jobs: {len(stats.good_latencies)} succeeded, {len(stats.good_failures)} failed; "
          f"submit-to-final p50 {percentile(stats.good_latencies, 0.5) * 1000:.0f} ms, p99 {percentile(stats.good_latencies, 0.99) * 1000:.0f} ms")
    ends = [end for end in stats.logout_stream_ends if end is not None]
    print(f"hostile: streams walked away from {stats.streams_walked_away}; streams of a logged-out session: {len(stats.logout_stream_ends)}, "
          f"ended by the server {len(ends)} (slowest {max(ends) if ends else 0:.1f} s after the logout)")
    print("hostile: peak resident memory: " + ", ".join(f"{name} {kib / 1024:.1f} MiB" for name, kib in sorted(stats.peak_rss.items())))

    problems = []
    if stats.server_errors:
        problems.append(f"{len(stats.server_errors)} server errors, e.g. " + "; ".join(stats.server_errors[:5]))
    if stats.good_failures:
        problems.append("well-behaved jobs failed: " + "; ".join(stats.good_failures[:5]))
    if not stats.good_latencies:
        problems.append("no well-behaved job completed")
    if pending:
        problems.append(f"{len(pending)} hostile jobs never reached a final status")
    if len(ends) != len(stats.logout_stream_ends):
        problems.append("a stream of a logged-out session was still open 20 s after the logout")
    if live_status != 200:
        problems.append(f"/health/live answered {live_status} at the end")
    for name, kib in stats.peak_rss.items():
        if kib > options.max_rss_mib * 1024:
            problems.append(f"{name} peaked at {kib / 1024:.0f} MiB (bound {options.max_rss_mib} MiB)")
    if problems:
        for problem in problems:
            print("hostile: FAILED: " + problem)
        raise SystemExit(1)
    print("hostile: passed")


if __name__ == "__main__":
    main()
