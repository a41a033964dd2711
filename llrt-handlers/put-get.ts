/**
 * put-get: the cold-start benchmark's real workload on LLRT: one DynamoDB PutItem and one GetItem through the AWS
 * SDK v3, bundled by esbuild (LLRT built from crates.io has no SDK inside; with LLRT's standard release binary the
 * client is the one LLRT ships), created at module scope as a handler would.
 *
 *   { "id": "bench-1", "payload": "hello" }  ->  { "id": "bench-1", "found": true, "payload": "hello" }
 *
 * Environment: TABLE_NAME (partition key `pk`, a string).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

interface PutGetEvent {
  readonly id?: string;
  readonly payload?: string;
}

const tableName = process.env.TABLE_NAME;

// LLRT bundles use the SDK's browser build, whose defaults read nothing from the environment: not the region, not
// the credentials and not the endpoint override (AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, which the SDK's
// Node.js build reads). So this client is given what the standard configuration would have found there.
const client = new DynamoDBClient({
  region: process.env.AWS_REGION,
  endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB || process.env.AWS_ENDPOINT_URL || undefined,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: process.env.AWS_SESSION_TOKEN,
  },
});

const text = (value: unknown, fallback: string) => (typeof value === 'string' && value !== '' ? value : fallback);

export const handler = async (event: PutGetEvent = {}) => {
  if (!tableName) throw new Error('TABLE_NAME is not set: set it to the name of a DynamoDB table whose partition key is pk (a string)');
  const id = text(event?.id, 'default');
  const payload = text(event?.payload, 'hello');
  await client.send(new PutItemCommand({
    TableName: tableName,
    Item: { pk: { S: id }, payload: { S: payload }, ts: { N: String(Date.now()) } },
  }));
  const read = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: id } }, ConsistentRead: true }));
  return { id, found: read.Item !== undefined, payload: read.Item?.payload?.S ?? null };
};
