#!/bin/bash
# Starts the Flask app for the Lambda Web Adapter. On Lambda the adapter's wrapper (/opt/bootstrap) runs this
# script instead of the Python runtime; the adapter then forwards every event to 127.0.0.1:$PORT.
# serve.py binds the port, then imports the app and serves it with waitress (see serve.py for why in that order).
# waitress keeps connections alive, which the adapter reuses (its pool drops them after 4 s idle, well before
# waitress' 120 s channel timeout, so a thawed environment never sends on a connection the app has closed).
cd "${LAMBDA_TASK_ROOT:-${0%/*}}"
exec python3 serve.py
