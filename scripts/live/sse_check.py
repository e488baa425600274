"""Checks the live event streams against a running CloudTask (API + worker).

Each check prints one line; the first failure raises. Standard library only.
Environment: BASE (http://host:port), ADMIN_EMAIL (the bootstrap admin's email),
WORKER_ID (the worker expected in the admin overview).
"""
import http.client
import json
import os
import threading
import time
import urllib.parse
import uuid

BASE = os.environ["BASE"]
HOST = urllib.parse.urlparse(BASE)
PASSWORD = "correct horse"


def ok(message):
    print(f"live: ok: {message}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def connection(timeout=30):
    return http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=timeout)


def request(method, path, token=None, body=None):
    conn = connection()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data and response.getheader("Content-Type", "").find("json") >= 0 else data)


def register(email):
    status, body = request("POST", "/api/v1/auth/register", body={"email": email, "password": PASSWORD})
    check(status == 201, f"register {email}: {status} {body}")
    return body["access_token"]


def login(email):
    """A fresh access token (the stack runs with short-lived ones)."""
    status, body = request("POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
    check(status == 200, f"login {email}: {status} {body}")
    return body["access_token"]


def submit(token, command, *args):
    status, body = request("POST", "/api/v1/jobs", token, {"command": command, "args": list(args)})
    check(status == 201, f"submit: {status} {body}")
    return body["id"]


class EventStream:
    """An open text/event-stream response, read event by event."""

    def __init__(self, path, token, last_event_id=None, timeout=30):
        self.conn = connection(timeout)
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.comments = 0

    def next(self):
        """The next event as (id, name, data), or None at the end of the stream."""
        event_id, name, data = None, "message", []
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\r\n")
            if line == "":
                if data:
                    return event_id, name, "\n".join(data)
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                event_id = value
            elif field == "event":
                name = value
            elif field == "data":
                data.append(value)

    def close(self):
        self.conn.close()


def main():
    run = uuid.uuid4().hex[:8]
    alice_email, bob_email = f"alice-{run}@example.com", f"bob-{run}@example.com"
    alice = register(alice_email)
    bob = register(bob_email)

    # Alice's list view, watched while her first job runs.
    watched = []
    watch = EventStream("/api/v1/events", alice)
    check(watch.status == 200, f"/events: {watch.status}")

    def read_watch():
        try:
            while (event := watch.next()) is not None:
                watched.append(json.loads(event[2]))
        except (OSError, AttributeError, ValueError):
            return  # closed by the main thread
    threading.Thread(target=read_watch, daemon=True).start()

    lines = [f"line {i}\n" for i in range(1, 9)]
    script = "for i in 1 2 3 4 5 6 7 8; do echo line $i; sleep 0.4; done; echo tail >&2"
    job = submit(alice, "sh", "-c", script)
    bobs_job = submit(bob, "true")

    # Mid-job: read until two output events came, then drop the connection.
    first = EventStream(f"/api/v1/jobs/{job}/events", alice)
    check(first.status == 200, f"events: {first.status}")
    check(first.response.getheader("Content-Type", "").startswith("text/event-stream"), "events: content type")
    seen, outputs, last_id, final_seen = [], 0, None, False
    while outputs < 2:
        event = first.next()
        check(event is not None, "the stream ended before any output")
        seen.append(event)
        last_id = event[0] or last_id
        if event[1] == "output":
            outputs += 1
        if event[1] == "status" and json.loads(event[2])["status"] in ("succeeded", "failed", "cancelled"):
            final_seen = True
    first.close()
    check(not final_seen, "the job finished before the reconnect: not a mid-job check")

    # Reconnect from the last id: the rest, and then the end of the stream.
    time.sleep(0.5)
    second = EventStream(f"/api/v1/jobs/{job}/events", alice, last_event_id=last_id)
    check(second.status == 200, f"resume: {second.status}")
    rest = []
    while True:
        event = second.next()
        if event is None:
            break
        rest.append(event)
    second.close()
    everything = seen + rest
    stdout = "".join(json.loads(e[2])["text"] for e in everything if e[1] == "output" and json.loads(e[2])["stream"] == "stdout")
    stderr = "".join(json.loads(e[2])["text"] for e in everything if e[1] == "output" and json.loads(e[2])["stream"] == "stderr")
    check(stdout == "".join(lines), f"stdout across the reconnect: {stdout!r}")
    check(stderr == "tail\n", f"stderr across the reconnect: {stderr!r}")
    ids = [e[0] for e in everything]
    check(all(ids) and len(set(ids)) == len(ids), f"every event has an id, none twice: {ids}")
    check(rest and rest[-1][1] == "status" and json.loads(rest[-1][2])["status"] == "succeeded",
          f"the last event is the final status: {rest[-1] if rest else None}")
    ok(f"reconnecting with Last-Event-ID mid-job: {len(seen)} events before, {len(rest)} after, output whole, nothing twice")
    ok("the stream closes after the final status")

    # Alice's list view heard her job's changes, and nothing of Bob's.
    deadline = time.time() + 5
    while time.time() < deadline and not any(j["id"] == job and j["status"] == "succeeded" for j in watched):
        time.sleep(0.1)
    watch.close()
    mine = [j["status"] for j in watched if j["id"] == job]
    check(mine[-1:] == ["succeeded"] and "running" in mine, f"/events for alice's job: {mine}")
    check(not any(j["id"] == bobs_job for j in watched), "bob's job appeared in alice's /events")
    check(all(j["owner_id"] == watched[0]["owner_id"] for j in watched), "another user's job appeared in alice's /events")
    ok(f"/events: {len(watched)} status changes of alice's own jobs ({', '.join(mine)}), none of bob's")

    alice, bob = login(alice_email), login(bob_email)
    # Someone else's job, and a job that does not exist.
    status, body = request("GET", f"/api/v1/jobs/{job}/events", bob)
    check(status == 404, f"bob reading alice's events: {status}")
    status, _ = request("GET", f"/api/v1/jobs/{uuid.uuid4()}/events", alice)
    check(status == 404, f"an absent job's events: {status}")
    status, _ = request("GET", f"/api/v1/jobs/{job}/events", alice + "x")
    check(status == 401, f"a tampered token: {status}")
    ok("another user's job is 404, like an absent one; a bad token 401")

    # Followed output as plain text.
    job2 = submit(alice, "sh", "-c", "echo one; sleep 0.5; echo two")
    conn = connection()
    conn.request("GET", f"/api/v1/jobs/{job2}/output?follow=1", headers={"Authorization": f"Bearer {alice}"})
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    check(response.status == 200 and text == "one\ntwo\n", f"followed output: {response.status} {text!r}")
    ok("output?follow=1 streams the text and ends with the job")

    # Heartbeats on an idle stream (the API runs with a 1 s heartbeat here).
    idle = EventStream("/api/v1/events", bob, timeout=5)
    for _ in range(10):  # "retry: …", blank lines, then a comment within a second or two
        if idle.response.readline().decode().startswith(":"):
            idle.comments += 1
            break
    idle.close()
    check(idle.comments > 0, "no heartbeat on an idle stream")
    ok("idle streams carry heartbeat comments")

    # The admin overview: counts, throughput, the worker's heartbeat.
    admin = login(os.environ["ADMIN_EMAIL"])
    alice = login(alice_email)
    status, overview = request("GET", "/api/v1/admin/overview", admin)
    check(status == 200, f"overview: {status} {overview}")
    check(overview["jobs_by_status"]["succeeded"] >= 3, f"overview counts: {overview['jobs_by_status']}")
    finished = sum(m["succeeded"] for m in overview["finished_per_minute"])
    check(finished >= 3 and len(overview["finished_per_minute"]) == 30, f"overview throughput: {finished}")
    workers = [w["id"] for w in overview["workers"] or []]
    check(any(w.startswith(os.environ["WORKER_ID"]) for w in workers), f"overview workers: {workers}")
    status, _ = request("GET", "/api/v1/admin/overview", alice)
    check(status == 403, f"overview for a user: {status}")
    ok(f"admin overview: {overview['jobs_by_status']['succeeded']} succeeded, workers {workers}; 403 for a user")


    # A stream ends when its access token expires (the client comes back with a fresh one).
    ttl = int(os.environ["ACCESS_TOKEN_TTL"])
    issued = time.time()
    expiring = EventStream("/api/v1/events", login(bob_email), timeout=ttl + 10)
    while expiring.next() is not None:
        pass
    lasted = time.time() - issued
    expiring.close()
    check(ttl - 1 <= lasted <= ttl + 5, f"the stream lasted {lasted:.1f} s with a {ttl} s token")
    ok(f"a stream ends when its token expires ({lasted:.1f} s with a {ttl} s token)")


if __name__ == "__main__":
    main()
