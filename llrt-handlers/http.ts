/**
 * http: a small JSON API behind a Lambda Function URL (payload format 2.0).
 *
 *   GET  /            -> 200 { "service": "llrt-http", "time": "..." }
 *   GET  /hello/{who} -> 200 { "message": "Hello, {who}!" }
 *   POST /echo        -> 200 with the JSON body it received (400 when the body is not JSON)
 *   anything else     -> 404 (or 405 for a known path with the wrong method)
 */

/** The fields of a Function URL event this handler reads. */
interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string; readonly path?: string } };
}

interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function json(statusCode: number, value: unknown): FunctionUrlResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  };
}

function decodeBody(event: FunctionUrlEvent): string {
  if (!event.body) return '';
  // Function URLs base64-encode bodies they do not consider text.
  return event.isBase64Encoded ? new TextDecoder().decode(Uint8Array.from(atob(event.body), c => c.charCodeAt(0))) : event.body;
}

export const handler = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
  const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';

  if (path === '/') {
    if (method !== 'GET') return json(405, { error: `method ${method} not allowed on /` });
    return json(200, { service: 'llrt-http', time: new Date().toISOString() });
  }

  const hello = /^\/hello\/([^/]+)$/.exec(path);
  if (hello) {
    if (method !== 'GET') return json(405, { error: `method ${method} not allowed on ${path}` });
    return json(200, { message: `Hello, ${decodeURIComponent(hello[1])}!` });
  }

  if (path === '/echo') {
    if (method !== 'POST') return json(405, { error: `method ${method} not allowed on /echo` });
    const text = decodeBody(event);
    try {
      return json(200, { received: text === '' ? null : JSON.parse(text) });
    } catch {
      return json(400, { error: 'body is not valid JSON' });
    }
  }

  return json(404, { error: `no route for ${method} ${path}` });
};
