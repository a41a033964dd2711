// Hello handler for the cold-start benchmark: Node.js (nodejs24.x), no dependencies.
export const handler = async (event, context) => {
  const name = typeof event?.name === 'string' && event.name.trim() ? event.name.trim() : 'world';
  return { message: `Hello, ${name}!`, requestId: context.awsRequestId };
};
