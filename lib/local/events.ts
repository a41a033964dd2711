/**
 * Built-in sample events for local invokes, shaped like the documents Lambda's event sources
 * send: an API Gateway HTTP API (payload format 2.0) request, a Function URL request (same
 * format, as a Function URL sends it) and an SQS batch with one message. Ids and times are
 * fixed so outputs are reproducible.
 */

/** Names accepted by `--sample`. */
export const SAMPLE_EVENTS = ['apigw-v2', 'function-url', 'sqs'] as const;
export type SampleEventName = typeof SAMPLE_EVENTS[number];

const TIME_EPOCH = 1767225600000; // 2026-01-01T00:00:00Z
const TIME_TEXT = '01/Jan/2026:00:00:00 +0000';

function httpEvent(kind: 'apigw-v2' | 'function-url'): Record<string, unknown> {
  const url = kind === 'function-url';
  const domainPrefix = url ? 'abcdefghijklmnopqrstuvwxyz0123' : 'a1b2c3d4e5';
  const domainName = url ? `${domainPrefix}.lambda-url.us-east-1.on.aws` : `${domainPrefix}.execute-api.us-east-1.amazonaws.com`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/hello',
    rawQueryString: 'name=Ferris',
    headers: {
      'accept': 'application/json',
      'content-type': 'application/json',
      'host': domainName,
      'user-agent': 'rustacean-lambda-local',
      'x-amzn-trace-id': 'Root=1-6955b900-0123456789abcdef01234567',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    queryStringParameters: { name: 'Ferris' },
    requestContext: {
      accountId: url ? 'anonymous' : '123456789012',
      apiId: domainPrefix,
      domainName,
      domainPrefix,
      http: { method: 'GET', path: '/hello', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'rustacean-lambda-local' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: TIME_TEXT,
      timeEpoch: TIME_EPOCH,
    },
    isBase64Encoded: false,
  };
}

function sqsEvent(): Record<string, unknown> {
  return {
    Records: [{
      messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
      receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
      body: '{"name":"Ferris"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(TIME_EPOCH),
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: String(TIME_EPOCH + 1),
      },
      messageAttributes: {},
      md5OfBody: '7b270e59b47ff90a553787216d55d91d',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:my-queue',
      awsRegion: 'us-east-1',
    }],
  };
}

/** A sample event by name; throws listing the names for an unknown one. */
export function sampleEvent(name: string): Record<string, unknown> {
  switch (name) {
    case 'apigw-v2':
    case 'function-url':
      return httpEvent(name);
    case 'sqs':
      return sqsEvent();
    default:
      throw new Error(`unknown sample event '${name}'; expected one of ${SAMPLE_EVENTS.join(', ')}`);
  }
}
