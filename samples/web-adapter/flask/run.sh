#!/bin/bash
# Starts the Flask app for the Lambda Web Adapter. On Lambda the adapter's wrapper (/opt/bootstrap) runs this
# script instead of the Python runtime; the adapter then forwards every event to 127.0.0.1:$PORT.
#   --workers 1            one request at a time per execution environment, as Lambda sends them
#   --timeout 0            Lambda freezes the environment between requests: not a hung worker
#   --no-control-socket    it would go to $HOME, and the file system is read-only outside /tmp
# The sync worker closes each connection, so the adapter never reuses one the app has already dropped.
cd "$(dirname "$0")"
exec python3 -m gunicorn --bind "127.0.0.1:${PORT:-8000}" --workers 1 --timeout 0 --no-control-socket \
  --access-logfile - app:app
