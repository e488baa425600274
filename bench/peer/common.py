"""Settings and the database pool shared by the reference web app and its Celery worker."""
import os
import psycopg2.pool

DATABASE_URL = os.environ["PEER_DATABASE_URL"]
BROKER_URL = os.environ["PEER_BROKER_URL"]
JWT_SECRET = os.environ["PEER_JWT_SECRET"]
BCRYPT_COST = int(os.environ.get("PEER_BCRYPT_COST", "12"))
ALLOWED = set(os.environ.get("PEER_ALLOWED_COMMANDS", "echo,sleep,true,false,date,uname,sha256sum").split(","))

_pool = None


def db():
    """A per-process pool (created after gunicorn/celery fork, never before)."""
    global _pool
    if _pool is None:
        _pool = psycopg2.pool.ThreadedConnectionPool(1, 16, DATABASE_URL)
    return _pool
