// The cold-start benchmark's real workload on Node.js (nodejs24.x): one DynamoDB PutItem and one GetItem through
// the AWS SDK for JavaScript v3 that the runtime ships (nothing bundled, nothing in node_modules).
//
//   { "id": "bench-1", "payload": "hello" }  ->  { "id": "bench-1", "found": true, "payload": "hello" }
//
// Environment: TABLE_NAME (partition key `pk`, a string). Region, credentials and endpoint come from the SDK's
// standard configuration (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_DYNAMODB point it at another endpoint).
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

// Created once, at Init.
const client = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME;

export const handler = async (event) => {
  if (!tableName) {
    throw new Error('TABLE_NAME is not set: set it to the name of a DynamoDB table whose partition key is pk (a string)');
  }
  const id = typeof event?.id === 'string' && event.id !== '' ? event.id : 'default';
  const payload = typeof event?.payload === 'string' && event.payload !== '' ? event.payload : 'hello';
  await client.send(new PutItemCommand({
    TableName: tableName,
    Item: { pk: { S: id }, payload: { S: payload }, ts: { N: String(Date.now()) } },
  }));
  const read = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: id } }, ConsistentRead: true }));
  return { id, found: read.Item !== undefined, payload: read.Item?.payload?.S ?? null };
};
