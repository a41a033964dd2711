// A realistic bundle for the bytecode benchmark (bench/llrt.ts): the DynamoDB client of the AWS SDK v3, bundled
// (LLRT built from crates.io has no SDK inside), created at module scope as a handler would. The handler builds a
// request without sending it, so a cold start measures loading the SDK, not the network.
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({ region: process.env.AWS_REGION ?? 'us-east-1' });

export const handler = async (event: { id?: string }) => {
  const command = new UpdateItemCommand({
    TableName: process.env.TABLE_NAME ?? 'visits',
    Key: { pk: { S: event?.id ?? 'home' } },
    UpdateExpression: 'ADD visits :one',
    ExpressionAttributeValues: { ':one': { N: '1' } },
  });
  return { service: client.config.serviceId, operation: command.constructor.name, key: command.input.Key };
};
