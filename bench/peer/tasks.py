"""The Celery side: runs a job's program (no shell) and records the outcome."""
import subprocess
from celery import Celery
from common import BROKER_URL, db

app = Celery("peer", broker=BROKER_URL)
app.conf.update(
    task_acks_late=True,                 # a worker that dies hands the job back
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_transport_options={"confirm_publish": True},  # publisher confirms, like CloudTask
    broker_connection_retry_on_startup=True,
)


@app.task(name="run_job")
def run_job(job_id):
    pool = db()
    conn = pool.getconn()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE jobs SET status='running', attempts=attempts+1, started_at=now(), updated_at=now() "
                "WHERE id=%s AND status='queued' RETURNING command, args, timeout_seconds",
                (job_id,),
            )
            row = cur.fetchone()
        if row is None:
            return
        command, args, timeout = row
        try:
            done = subprocess.run([command, *args], capture_output=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
            status = "succeeded" if done.returncode == 0 else "failed"
            code, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired:
            status, code, out, err = "failed", None, b"", b""
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE jobs SET status=%s, exit_code=%s, stdout=%s, stderr=%s, finished_at=now(), "
                "updated_at=now() WHERE id=%s",
                (status, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), job_id),
            )
    finally:
        pool.putconn(conn)
