// A small Express app, served on AWS Lambda through the Lambda Web Adapter (see samples/web-adapter.ts).
//
// The app knows nothing about Lambda: the adapter turns each HTTP event into a request to 127.0.0.1:$PORT, and
// posts non-HTTP events (SQS, SNS, EventBridge, ...) to /events. Run it locally with `npm ci && PORT=8000 ./run.sh`.
const express = require('express');

const app = express();
app.use(express.json());

/** The adapter passes the Lambda context as a JSON header; undefined when the app runs without the adapter. */
function lambdaRequestId(req) {
  const context = req.get('x-amzn-lambda-context');
  return context ? JSON.parse(context).request_id : undefined;
}

app.get('/', (_req, res) => {
  res.json({ message: 'hello from Express behind the Lambda Web Adapter' });
});

app.get('/hello/:name', (req, res) => {
  res.set('X-Served-By', 'express');
  res.json({ greeting: `hello, ${req.params.name}`, query: req.query, requestId: lambdaRequestId(req) });
});

app.post('/items', (req, res) => {
  res.status(201).location(`/items/${req.body.id ?? 'new'}`).json({ created: req.body });
});

// Pass-through path: a non-HTTP event arrives here as it is; the JSON answer becomes the invocation's result.
app.post('/events', (req, res) => {
  const records = req.body.Records ?? [];
  res.json({
    processed: records.map(r => r.messageId),
    sources: [...new Set(records.map(r => r.eventSource).filter(Boolean))].sort(),
    batchItemFailures: [], // SQS partial batch response: nothing failed
  });
});

const port = Number(process.env.PORT ?? 8000);
const server = app.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));

// Lambda sends SIGTERM before it shuts the execution environment down.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
