"""A small Flask app, served on AWS Lambda through the Lambda Web Adapter (see samples/web-adapter.ts).

The app knows nothing about Lambda: the adapter turns each HTTP event into a request to 127.0.0.1:$PORT, and posts
non-HTTP events (SQS, SNS, EventBridge, ...) to /events. Run it locally with
`pip install -r requirements.txt && PORT=8000 ./run.sh`.
"""
import json
import os
import time

from flask import Flask, jsonify, request

# Simulates a slow start (tests use it to show the adapter holds invocations until the app answers).
STARTUP_DELAY = float(os.environ.get("STARTUP_DELAY_SECONDS", "0"))
if STARTUP_DELAY > 0:
    time.sleep(STARTUP_DELAY)

app = Flask(__name__)


def lambda_request_id():
    """The adapter passes the Lambda context as a JSON header; None when the app runs without the adapter."""
    context = request.headers.get("x-amzn-lambda-context")
    return json.loads(context).get("request_id") if context else None


@app.get("/")
def index():
    return jsonify(message="hello from Flask behind the Lambda Web Adapter")


@app.get("/hello/<name>")
def hello(name):
    response = jsonify(greeting=f"hello, {name}", query=request.args.to_dict(), requestId=lambda_request_id())
    response.headers["X-Served-By"] = "flask"
    return response


@app.post("/items")
def create_item():
    item = request.get_json(force=True)
    return jsonify(created=item), 201, {"Location": f"/items/{item.get('id', 'new')}"}


@app.post("/events")
def events():
    """Pass-through path: a non-HTTP event arrives here as it is; the JSON answer becomes the invocation's result."""
    event = request.get_json(force=True)
    records = event.get("Records", [])
    return jsonify(
        processed=[record.get("messageId") for record in records],
        sources=sorted({record.get("eventSource") for record in records if record.get("eventSource")}),
        # SQS partial batch response: nothing failed.
        batchItemFailures=[],
    )
