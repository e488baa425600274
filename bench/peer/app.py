"""A small Flask implementation of CloudTask's contract (the routes the benchmark uses),
written the way many teams would: gunicorn gthread workers, psycopg2, bcrypt, PyJWT,
Celery over RabbitMQ. It is the reference the benchmark runs beside CloudTask."""
import datetime
import uuid

import bcrypt
import jwt
from flask import Flask, jsonify, request

from common import ALLOWED, BCRYPT_COST, JWT_SECRET, db
from tasks import run_job

app = Flask(__name__)
ACCESS_TTL = datetime.timedelta(minutes=15)


def problem(status, title):
    response = jsonify({"type": "about:blank", "title": title, "status": status})
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def job_json(row):
    (id_, owner, status, command, args, priority, timeout, max_attempts, attempts, exit_code,
     run_at, created, updated, started, finished) = row
    return {"id": str(id_), "owner_id": str(owner), "status": status, "command": command,
            "args": list(args), "priority": priority, "timeout_seconds": timeout,
            "max_attempts": max_attempts, "attempts": attempts, "run_at": iso(run_at),
            "created_at": iso(created), "updated_at": iso(updated), "started_at": iso(started),
            "finished_at": iso(finished), "stop_requested_at": None, "exit_code": exit_code,
            "error": None}


JOB_COLUMNS = ("id, owner_id, status, command, args, priority, timeout_seconds, max_attempts, "
               "attempts, exit_code, run_at, created_at, updated_at, started_at, finished_at")


def query(sql, params, fetch=True):
    pool = db()
    conn = pool.getconn()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone() if fetch else None
    finally:
        pool.putconn(conn)


def tokens(user_id, role):
    now = datetime.datetime.now(datetime.timezone.utc)
    claims = {"sub": str(user_id), "role": role, "sid": str(uuid.uuid4()), "jti": str(uuid.uuid4()),
              "iat": now, "exp": now + ACCESS_TTL, "iss": "cloudtask", "aud": "cloudtask-api",
              "typ": "access"}
    access = jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "k1"})
    return {"access_token": access, "token_type": "Bearer",
            "expires_in": int(ACCESS_TTL.total_seconds()), "refresh_token": str(uuid.uuid4())}


def caller():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        claims = jwt.decode(header[7:], JWT_SECRET, algorithms=["HS256"], audience="cloudtask-api",
                            issuer="cloudtask")
    except jwt.InvalidTokenError:
        return None
    return claims if claims.get("typ") == "access" else None


@app.get("/health/live")
def live():
    return jsonify({"status": "ok"})


@app.post("/api/v1/auth/register")
def register():
    body = request.get_json(silent=True) or {}
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or "@" not in email or not isinstance(password, str) \
            or not 8 <= len(password.encode()) <= 72:
        return problem(400, "invalid email or password")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    user_id = uuid.uuid4()
    row = query("INSERT INTO users (id, email, password_hash, role) VALUES (%s, %s, %s, 'user') "
                "ON CONFLICT (email) DO NOTHING RETURNING id", (str(user_id), email.lower(), hashed))
    if row is None:
        return problem(409, "email already registered")
    result = tokens(user_id, "user")
    result["user"] = {"id": str(user_id), "email": email.lower(), "role": "user"}
    return jsonify(result), 201


@app.post("/api/v1/auth/login")
def login():
    body = request.get_json(silent=True) or {}
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        return problem(400, "email and password are required")
    row = query("SELECT id, password_hash, role FROM users WHERE email=%s", (email.lower(),))
    if row is None or not bcrypt.checkpw(password.encode(), row[1].encode()):
        return problem(401, "invalid email or password")
    return jsonify(tokens(row[0], row[2]))


@app.post("/api/v1/jobs")
def create_job():
    claims = caller()
    if claims is None:
        return problem(401, "invalid token")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        return problem(400, "command is required")
    args = body.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return problem(400, "args must be strings")
    if body["command"] not in ALLOWED:
        return problem(422, "command not allowed")
    row = query(f"INSERT INTO jobs (id, owner_id, status, command, args) VALUES (%s, %s, 'queued', %s, %s) "
                f"RETURNING {JOB_COLUMNS}", (str(uuid.uuid4()), claims["sub"], body["command"], args))
    run_job.delay(str(row[0]))
    response = jsonify(job_json(row))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/jobs/{row[0]}"
    return response


@app.get("/api/v1/jobs/<job_id>")
def get_job(job_id):
    claims = caller()
    if claims is None:
        return problem(401, "invalid token")
    try:
        uuid.UUID(job_id)
    except ValueError:
        return problem(400, "malformed job id")
    row = query(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id=%s AND owner_id=%s", (job_id, claims["sub"]))
    if row is None:
        return problem(404, "job not found")
    return jsonify(job_json(row))
