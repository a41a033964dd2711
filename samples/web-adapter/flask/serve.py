"""Serves the Flask app with waitress for the Lambda Web Adapter, binding the port before the app is imported.

The adapter decides the app is ready by sending GET / to it, again every 10 ms while nothing listens. Listening
first and importing Flask and the app second lets the adapter's first request wait in the socket's backlog: it is
answered the moment the app can answer, not at the next 10 ms poll after that (about 5 ms of every cold start, on
average). Only use this with the adapter's HTTP readiness check (its default): a TCP check would pass as soon as the
port is bound.

waitress: a production WSGI server in one process with no arbiter to import and no worker to fork (gunicorn does
both before the app loads). Lambda sends one request at a time per execution environment: one thread.
"""
import os
import socket
import sys

PORT = int(os.environ.get("PORT", "8000"))
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", PORT))
listener.listen(128)

from waitress import create_server  # noqa: E402  (after the bind, on purpose)

from app import app  # noqa: E402

server = create_server(app, sockets=[listener], threads=1)
print(f"Serving on http://127.0.0.1:{PORT}", file=sys.stderr, flush=True)
server.run()
