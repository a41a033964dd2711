/**
 * hello: JSON in, JSON out. The smallest useful LLRT handler, for measuring cold starts.
 *
 *   { "name": "Ferris" }  ->  { "message": "Hello, Ferris!", "requestId": "..." }
 */

interface HelloEvent {
  readonly name?: string;
}

interface LambdaContext {
  readonly awsRequestId?: string;
}

export const handler = async (event: HelloEvent = {}, context: LambdaContext = {}) => {
  const name = typeof event.name === 'string' && event.name.trim() !== '' ? event.name.trim() : 'world';
  return {
    message: `Hello, ${name}!`,
    requestId: context.awsRequestId ?? null,
  };
};
