/**
 * dynamodb: a visit counter in DynamoDB, through the AWS SDK v3 client that LLRT's standard binary already
 * contains (so it is not bundled; with the no-sdk binary it is).
 *
 *   { "id": "home" }  ->  { "id": "home", "visits": 3 }
 *
 * Environment: TABLE_NAME (partition key `pk`, a string). DYNAMODB_ENDPOINT optionally points the client at
 * another endpoint, such as DynamoDB Local.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

interface CounterEvent {
  readonly id?: string;
}

const tableName = process.env.TABLE_NAME;

// Region and credentials are passed explicitly: LLRT bundles use the SDK's browser build, whose defaults do not
// read them from the environment when the SDK is bundled (binary type NO_SDK). Lambda sets these variables.
const client = new DynamoDBClient({
  region: process.env.AWS_REGION,
  endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: process.env.AWS_SESSION_TOKEN,
  },
});

export const handler = async (event: CounterEvent = {}) => {
  if (!tableName) throw new Error('TABLE_NAME is not set');
  const id = typeof event.id === 'string' && event.id !== '' ? event.id : 'default';
  const result = await client.send(new UpdateItemCommand({
    TableName: tableName,
    Key: { pk: { S: id } },
    UpdateExpression: 'ADD visits :one',
    ExpressionAttributeValues: { ':one': { N: '1' } },
    ReturnValues: 'UPDATED_NEW',
  }));
  return { id, visits: Number(result.Attributes?.visits?.N ?? 0) };
};
