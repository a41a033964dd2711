#!/bin/bash
# Starts the Flask app for the Lambda Web Adapter. On Lambda the adapter's wrapper (/opt/bootstrap) runs this
# script instead of the Python runtime; the adapter then forwards every event to 127.0.0.1:$PORT.
# waitress: a production WSGI server in one process that imports the app before it listens, so the adapter's
# readiness check passes as soon as the app can answer, with no arbiter to import and no worker to fork (gunicorn
# does both before the app loads; in one interleaved run on our loaded build machine its Init p50 was 362 ms against
# waitress' 321 ms, a difference of the size of that machine's noise). Lambda sends one request at a time per
# execution environment: one thread.
# It keeps connections alive, which the adapter reuses (its pool drops them after 4 s idle, well before waitress'
# 120 s channel timeout, so a thawed environment never sends on a connection the app has closed).
cd "${LAMBDA_TASK_ROOT:-${0%/*}}"
exec python3 -m waitress --listen="127.0.0.1:${PORT:-8000}" --threads=1 app:app
