#!/bin/bash
# Starts the Express app for the Lambda Web Adapter. On Lambda the adapter's wrapper (/opt/bootstrap) runs this
# script instead of the Node.js runtime; the adapter then forwards every event to 127.0.0.1:$PORT.
cd "$(dirname "$0")"
exec node index.js
