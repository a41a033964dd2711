/**
 * A small in-process host for the AWS Lambda Runtime API and Extensions API.
 *
 * A custom runtime (for example a Rust `bootstrap` built with cargo-lambda) talks to
 * Lambda over plain HTTP at `$AWS_LAMBDA_RUNTIME_API`. This module plays the Lambda
 * side of that conversation on the loopback interface, so a real runtime binary can
 * be initialised and invoked on a developer machine or in CI:
 *
 *  - the runtime long-polls `GET /2018-06-01/runtime/invocation/next` and receives
 *    the events queued with {@link RuntimeApiServer.invoke};
 *  - it answers each event with `POST .../invocation/{id}/response` (buffered or
 *    streamed) or `POST .../invocation/{id}/error`;
 *  - external extensions register, long-poll `GET /2020-01-01/extension/event/next`
 *    and receive INVOKE and SHUTDOWN events like they would on Lambda.
 *
 * Only Node.js built-ins are used. This module is internal to the library: it is not
 * exported from the package entry point.
 */
import { randomBytes, randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { withTimeout } from '../core/process';

/** Largest buffered response Lambda accepts from a runtime (6 MiB plus a small allowance, as on Lambda). */
export const MAX_BUFFERED_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
/** Largest streamed response we keep; Lambda's documented soft limit for response streaming is 20 MiB. */
export const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;

const RUNTIME_PREFIX = '/2018-06-01/runtime';
const EXTENSION_PREFIX = '/2020-01-01/extension';
const INVOCATION_ROUTE = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Events an external extension may subscribe to. */
const EXTENSION_EVENT_TYPES: ReadonlyArray<string> = ['INVOKE', 'SHUTDOWN'];

/** Options for {@link RuntimeApiServer}. */
export interface RuntimeApiOptions {
  /** Loopback address to listen on. Only 127.0.0.0/8 addresses are accepted. @default '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 picks a free ephemeral port. @default 0 */
  readonly port?: number;
  /** Reported to extensions at registration and used in the default function ARN. @default 'local-function' */
  readonly functionName?: string;
  /** @default '$LATEST' */
  readonly functionVersion?: string;
  /** The handler string (`_HANDLER`), reported to extensions at registration. @default 'bootstrap' */
  readonly handler?: string;
  /** ARN sent in `Lambda-Runtime-Invoked-Function-Arn`. @default arn:aws:lambda:us-east-1:123456789012:function:<functionName> */
  readonly invokedFunctionArn?: string;
  /**
   * How many extensions must register before init can complete. The host that
   * launches the extension processes knows this number; setting it removes the race
   * between a runtime that polls `/next` early and an extension that registers late.
   * Extensions beyond this number are still waited for if they register during init.
   * @default 0
   */
  readonly expectedExtensions?: number;
  /** @default MAX_BUFFERED_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /** @default MAX_STREAMED_RESPONSE_BYTES */
  readonly maxStreamedResponseBytes?: number;
}

/** Per-invocation options for {@link RuntimeApiServer.invoke}. */
export interface InvokeOptions {
  /**
   * The function timeout. It starts when the runtime receives the event (as on
   * Lambda, so init time is not counted) and sets `Lambda-Runtime-Deadline-Ms`.
   * An event still waiting in the queue after this long is rejected as well.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /** @default a random UUID */
  readonly requestId?: string;
  /** Sent verbatim in `Lambda-Runtime-Client-Context` (a JSON document). */
  readonly clientContext?: string;
  /** Sent verbatim in `Lambda-Runtime-Cognito-Identity` (a JSON document). */
  readonly cognitoIdentity?: string;
  /** @default a fresh, unsampled X-Ray trace header */
  readonly traceId?: string;
}

/** The error document a runtime or extension posts to an `/error` endpoint. */
export interface ErrorDocument {
  readonly errorMessage?: string;
  readonly errorType?: string;
  readonly stackTrace?: unknown;
}

/** Outcome of one invocation. */
export interface InvokeResult {
  readonly requestId: string;
  /** True when the runtime posted a response; false for `/error`, an error trailer on a stream, or an oversized response. */
  readonly ok: boolean;
  /** The raw body the runtime posted (UTF-8), response or error alike. */
  readonly payload: string;
  /** The parsed error document when `ok` is false. */
  readonly error?: ErrorDocument;
  /** Time from handing the event to the runtime until its answer was complete. */
  readonly durationMs: number;
  /** True when the runtime used `Lambda-Runtime-Function-Response-Mode: streaming`. */
  readonly streamed: boolean;
  /** The Content-Type the runtime sent with its answer, if any. */
  readonly contentType?: string;
}

/** A registered extension, as the host sees it. */
export interface ExtensionInfo {
  readonly name: string;
  readonly id: string;
  readonly events: ReadonlyArray<string>;
}

/** Raised (rejecting {@link RuntimeApiServer.waitForInit}) when the runtime or an extension reports an init failure. */
export class InitError extends Error {
  /** The error type the process reported, e.g. `Runtime.ExitError`. */
  public readonly errorType: string;
  /** The full error document, as posted. */
  public readonly document: ErrorDocument;
  /** Which process reported the failure: the runtime or the named extension. */
  public readonly source: string;

  constructor(source: string, document: ErrorDocument) {
    super(`${source} failed to initialise: ${document.errorType ?? 'UnknownError'}: ${document.errorMessage ?? '(no message)'}`);
    this.name = 'InitError';
    this.errorType = document.errorType ?? 'UnknownError';
    this.document = document;
    this.source = source;
  }
}

/** Raised (rejecting {@link RuntimeApiServer.invoke}) when an invocation does not finish within its timeout. */
export class InvokeTimeoutError extends Error {
  public readonly requestId: string;
  public readonly timeoutMs: number;
  /** False when the event never reached the runtime (it was still queued). */
  public readonly dispatched: boolean;

  constructor(requestId: string, timeoutMs: number, dispatched: boolean) {
    super(dispatched
      ? `Invocation ${requestId} timed out after ${timeoutMs} ms`
      : `Invocation ${requestId} was not picked up by the runtime within ${timeoutMs} ms`);
    this.name = 'InvokeTimeoutError';
    this.requestId = requestId;
    this.timeoutMs = timeoutMs;
    this.dispatched = dispatched;
  }
}

/** Bookkeeping for one queued or running invocation. */
interface Invocation {
  readonly requestId: string;
  readonly body: Buffer;
  readonly timeoutMs: number;
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
  readonly traceId: string;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  /** `performance.now()` when the event was handed to the runtime. */
  dispatchedAt?: number;
  deadlineMs?: number;
  /** The runtime has started posting its answer; a second answer is refused. */
  answering: boolean;
  settled: boolean;
}

/** Bookkeeping for one registered extension. */
interface ExtensionState extends ExtensionInfo {
  /** Has called `/event/next` at least once (that is its "init done" signal). */
  ready: boolean;
  /** Was sent an INVOKE and has not asked for the next event yet. */
  busy: boolean;
  /** Its parked `/event/next` long-poll, if any. */
  waiting?: http.ServerResponse;
  /** Events not yet delivered because it was not polling. */
  readonly pending: object[];
  shutdownDelivered: boolean;
  shutdownAcked: boolean;
}

interface InitWaiter {
  readonly resolve: (value: { initDurationMs: number }) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type InitPhase = 'pending' | 'ready' | 'failed';

/**
 * Local Lambda Runtime API + Extensions API host.
 *
 * Typical use: `start()`, launch the runtime (and extensions) with
 * `AWS_LAMBDA_RUNTIME_API` set to the returned address, `waitForInit()`, then
 * `invoke()` as often as needed, and finally `shutdown()`.
 *
 * Emitted events: `init` ({ initDurationMs }), `initError` (InitError),
 * `extensionRegistered` (ExtensionInfo), `extensionExitError` (ExtensionInfo, ErrorDocument),
 * `invoke` ({ requestId, deadlineMs }), `invokeComplete` (InvokeResult),
 * `invokeTimeout` (InvokeTimeoutError).
 */
export class RuntimeApiServer extends EventEmitter {
  private readonly host: string;
  private readonly port: number;
  private readonly functionName: string;
  private readonly functionVersion: string;
  private readonly handler: string;
  private readonly functionArn: string;
  private readonly expectedExtensions: number;
  private readonly maxResponseBytes: number;
  private readonly maxStreamedResponseBytes: number;

  private readonly httpServer: http.Server;
  private listening?: string;
  private closing?: Promise<void>;
  /** `performance.now()` when the processes were launched; init duration is measured from here (sub-millisecond). */
  private processStartedAt = performance.now();

  private initPhase: InitPhase = 'pending';
  private initError?: InitError;
  private initDurationMs?: number;
  private runtimeReady = false;
  private readonly initWaiters: InitWaiter[] = [];

  /** Events waiting for the runtime to ask for them, oldest first. */
  private readonly queue: Invocation[] = [];
  /** Events handed to the runtime and not answered yet, by request id. */
  private readonly running = new Map<string, Invocation>();
  /** The runtime's parked `/next` long-polls. */
  private readonly runtimeWaiters: http.ServerResponse[] = [];

  private readonly extensionsById = new Map<string, ExtensionState>();
  private shutdownStarted = false;
  private shutdownPromise?: Promise<void>;
  private resolveShutdownAcks?: () => void;

  constructor(options: RuntimeApiOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(this.host)) {
      throw new Error(`RuntimeApiServer only listens on IPv4 loopback (127.0.0.0/8), got '${this.host}'`);
    }
    this.port = options.port ?? 0;
    this.functionName = options.functionName ?? 'local-function';
    this.functionVersion = options.functionVersion ?? '$LATEST';
    this.handler = options.handler ?? 'bootstrap';
    this.functionArn = options.invokedFunctionArn ?? `arn:aws:lambda:us-east-1:123456789012:function:${this.functionName}`;
    this.expectedExtensions = options.expectedExtensions ?? 0;
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_BUFFERED_RESPONSE_BYTES;
    this.maxStreamedResponseBytes = options.maxStreamedResponseBytes ?? MAX_STREAMED_RESPONSE_BYTES;

    this.httpServer = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        // A handler bug must not take the host down; report it to the caller instead.
        if (!res.headersSent && !res.destroyed) {
          sendJson(res, 500, { errorType: 'InternalServerError', errorMessage: String(err) });
        }
      });
    });
    // Long-polls and slow streamed responses are normal here: no request deadline.
    this.httpServer.requestTimeout = 0;
  }

  /** The `host:port` to put in `AWS_LAMBDA_RUNTIME_API`. Only valid after {@link start}. */
  public get address(): string {
    if (!this.listening) {
      throw new Error('RuntimeApiServer has not been started');
    }
    return this.listening;
  }

  /** The extensions registered so far, in registration order. */
  public get extensions(): ReadonlyArray<ExtensionInfo> {
    return [...this.extensionsById.values()].map(e => ({ name: e.name, id: e.id, events: [...e.events] }));
  }

  /** Starts listening; resolves to the `host:port` for `AWS_LAMBDA_RUNTIME_API`. Calling it again returns the same address. */
  public async start(): Promise<string> {
    if (this.closing) {
      throw new Error('RuntimeApiServer has been closed');
    }
    if (this.listening) {
      return this.listening;
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.httpServer.once('error', onError);
      this.httpServer.listen(this.port, this.host, () => {
        this.httpServer.off('error', onError);
        resolve();
      });
    });
    const info = this.httpServer.address() as AddressInfo;
    this.listening = `${this.host}:${info.port}`;
    this.processStartedAt = performance.now();
    return this.listening;
  }

  /**
   * Marks "now" as the moment the runtime process was launched; init duration is measured from here. Emits
   * `processStart`, so an observer can time the phases of init (`extensionRegistered`, `init`) from the same moment.
   */
  public markProcessStart(): void {
    this.processStartedAt = performance.now();
    this.emit('processStart');
  }

  /**
   * Resolves once init is complete: the runtime has asked for its first event and
   * every registered (and every expected) extension has asked for its first event.
   * Rejects with an {@link InitError} when init fails, or after `timeoutMs`.
   */
  public waitForInit(timeoutMs = 10_000): Promise<{ initDurationMs: number }> {
    if (this.initPhase === 'ready') {
      return Promise.resolve({ initDurationMs: this.initDurationMs ?? 0 });
    }
    if (this.initPhase === 'failed' && this.initError) {
      return Promise.reject(this.initError);
    }
    if (this.closing) {
      return Promise.reject(new Error('RuntimeApiServer has been closed'));
    }
    return new Promise((resolve, reject) => {
      const waiter: InitWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          removeItem(this.initWaiters, waiter);
          reject(new Error(`Init did not complete within ${timeoutMs} ms (${this.describeInitProgress()})`));
        }, timeoutMs),
      };
      this.initWaiters.push(waiter);
    });
  }

  /**
   * Queues an event for the runtime and resolves when the runtime answers it.
   *
   * `event` may be a Buffer or a string (sent verbatim, so a string must already be
   * the JSON text) or any other value (sent as `JSON.stringify(event)`); `undefined`
   * is sent as `{}`. A reported function error resolves with `ok: false`; the promise
   * rejects only when the invocation cannot complete (timeout, init failure, shutdown).
   */
  public invoke(event?: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (!this.listening) {
      return Promise.reject(new Error('RuntimeApiServer has not been started'));
    }
    if (this.closing || this.shutdownStarted) {
      return Promise.reject(new Error('RuntimeApiServer is shutting down'));
    }
    if (this.initPhase === 'failed' && this.initError) {
      return Promise.reject(this.initError);
    }
    const requestId = options.requestId ?? randomUUID();
    if (this.running.has(requestId) || this.queue.some(i => i.requestId === requestId)) {
      return Promise.reject(new Error(`Request id ${requestId} is already in use`));
    }
    const timeoutMs = options.timeoutMs ?? 30_000;

    return new Promise<InvokeResult>((resolve, reject) => {
      const invocation: Invocation = {
        requestId,
        body: encodeEvent(event),
        timeoutMs,
        clientContext: options.clientContext,
        cognitoIdentity: options.cognitoIdentity,
        traceId: options.traceId ?? newTraceId(),
        resolve,
        reject,
        answering: false,
        settled: false,
      };
      // While queued, the same timeout bounds the wait for the runtime to take the event.
      invocation.timer = setTimeout(() => this.expire(invocation), timeoutMs);
      this.queue.push(invocation);
      this.pump();
    });
  }

  /**
   * Rejects every queued and running invocation with `error`. A process supervisor
   * calls this when the runtime process dies, so callers fail fast instead of
   * waiting for their timeout.
   */
  public abortInvocations(error: Error): void {
    for (const invocation of [...this.queue, ...this.running.values()]) {
      this.fail(invocation, error);
    }
  }

  /**
   * Starts the shutdown phase: no further events are handed out, queued ones are
   * rejected, and each extension that subscribed to SHUTDOWN receives it (with
   * `deadlineMs` = now + `graceMs`). Resolves when each of those extensions has
   * acknowledged by asking for its next event. Calling it again returns the same promise.
   */
  public sendShutdown(reason: 'spindown' | 'timeout' | 'failure' = 'spindown', graceMs = 2_000): Promise<void> {
    if (this.shutdownPromise) {
      return this.shutdownPromise;
    }
    this.shutdownStarted = true;
    for (const invocation of [...this.queue]) {
      this.fail(invocation, new Error('RuntimeApiServer is shutting down'));
    }
    this.shutdownPromise = new Promise<void>(resolve => {
      this.resolveShutdownAcks = resolve;
    });
    const event = { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs: Date.now() + graceMs };
    for (const ext of this.extensionsById.values()) {
      if (ext.events.includes('SHUTDOWN')) {
        ext.pending.length = 0; // nothing else matters to it any more
        this.deliverToExtension(ext, event);
      }
    }
    this.checkShutdownAcks();
    return this.shutdownPromise;
  }

  /**
   * Graceful stop: {@link sendShutdown}, wait up to `graceMs` for the extensions to
   * acknowledge, then {@link close}.
   */
  public async shutdown(options: { readonly graceMs?: number; readonly reason?: 'spindown' | 'timeout' | 'failure' } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 2_000;
    if (this.listening && !this.closing) {
      await withTimeout(this.sendShutdown(options.reason ?? 'spindown', graceMs), graceMs);
    }
    await this.close();
  }

  /**
   * Stops the server at once: rejects everything still pending, drops every open
   * connection (including parked long-polls) and frees the port. Idempotent.
   */
  public close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.doClose();
    }
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const closed = new Error('RuntimeApiServer has been closed');
    this.abortInvocations(closed);
    for (const waiter of this.initWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(closed);
    }
    this.resolveShutdownAcks?.();
    if (!this.listening) {
      return;
    }
    await new Promise<void>(resolve => {
      this.httpServer.close(() => resolve());
      // Parked long-polls would otherwise keep close() waiting forever.
      this.httpServer.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------------------
  // Routing

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://runtime-api.local').pathname;

    const invocationRoute = INVOCATION_ROUTE.exec(path);
    if (invocationRoute) {
      if (!expectMethod(req, res, 'POST')) return;
      const requestId = decodeURIComponent(invocationRoute[1]);
      if (invocationRoute[2] === 'response') {
        await this.onInvocationResponse(requestId, req, res);
      } else {
        await this.onInvocationError(requestId, req, res);
      }
      return;
    }

    switch (path) {
      case `${RUNTIME_PREFIX}/invocation/next`:
        if (expectMethod(req, res, 'GET')) this.onRuntimeNext(res);
        return;
      case `${RUNTIME_PREFIX}/init/error`:
        if (expectMethod(req, res, 'POST')) await this.onRuntimeInitError(req, res);
        return;
      case `${EXTENSION_PREFIX}/register`:
        if (expectMethod(req, res, 'POST')) await this.onExtensionRegister(req, res);
        return;
      case `${EXTENSION_PREFIX}/event/next`:
        if (expectMethod(req, res, 'GET')) this.onExtensionNext(req, res);
        return;
      case `${EXTENSION_PREFIX}/init/error`:
      case `${EXTENSION_PREFIX}/exit/error`:
        if (expectMethod(req, res, 'POST')) await this.onExtensionError(path.endsWith('/init/error'), req, res);
        return;
      default:
        sendJson(res, 404, { errorType: 'NotFound', errorMessage: `No route for ${req.method ?? 'GET'} ${path}` });
    }
  }

  // ---------------------------------------------------------------------------
  // Runtime API

  /** `GET /runtime/invocation/next`: the runtime is idle and waits for an event. */
  private onRuntimeNext(res: http.ServerResponse): void {
    this.runtimeWaiters.push(res);
    // If the runtime hangs up while parked, forget that long-poll.
    res.on('close', () => removeItem(this.runtimeWaiters, res));
    if (!this.runtimeReady) {
      this.runtimeReady = true;
      this.checkInit();
    }
    this.pump();
  }

  /** `POST /runtime/invocation/{id}/response`: the handler's result, buffered or streamed. */
  private async onInvocationResponse(requestId: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const invocation = this.claimAnswer(requestId, res);
    if (!invocation) return;

    const streamed = headerValue(req, 'lambda-runtime-function-response-mode')?.toLowerCase() === 'streaming';
    const limit = streamed ? this.maxStreamedResponseBytes : this.maxResponseBytes;
    let body: ReadBody;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      // The runtime went away mid-answer (e.g. it crashed while streaming).
      this.complete(invocation, {
        ok: false,
        payload: '',
        streamed,
        error: { errorType: 'Runtime.TruncatedResponse', errorMessage: `The runtime did not finish its response: ${String(err)}` },
      });
      return;
    }
    const payload = body.data.toString('utf8');
    const contentType = headerValue(req, 'content-type');

    if (body.overflow) {
      const errorMessage = `Response payload size (${body.size} bytes) exceeded maximum allowed payload size (${limit} bytes).`;
      this.complete(invocation, { ok: false, payload, streamed, contentType, error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage } });
      sendJson(res, 413, { errorType: 'RequestEntityTooLarge', errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).` });
      return;
    }

    // A streamed response reports a mid-stream failure in HTTP trailers.
    const trailerType = req.trailers['lambda-runtime-function-error-type'];
    if (streamed && trailerType) {
      const encoded = req.trailers['lambda-runtime-function-error-body'];
      const errorBody = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
      this.complete(invocation, { ok: false, payload, streamed, contentType, error: parseErrorDocument(errorBody, trailerType) });
    } else {
      this.complete(invocation, { ok: true, payload, streamed, contentType });
    }
    sendAccepted(res);
  }

  /** `POST /runtime/invocation/{id}/error`: the handler failed. */
  private async onInvocationError(requestId: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const invocation = this.claimAnswer(requestId, res);
    if (!invocation) return;
    let payload = '';
    try {
      payload = (await readBody(req, this.maxResponseBytes)).data.toString('utf8');
    } catch {
      // Keep what we know: the runtime did report an error.
    }
    const error = parseErrorDocument(payload, headerValue(req, 'lambda-runtime-function-error-type'));
    this.complete(invocation, { ok: false, payload, streamed: false, contentType: headerValue(req, 'content-type'), error });
    sendAccepted(res);
  }

  /** `POST /runtime/init/error`: the runtime could not initialise. */
  private async onRuntimeInitError(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const payload = (await readBody(req, this.maxResponseBytes)).data.toString('utf8');
    if (this.initPhase !== 'pending') {
      sendJson(res, 403, { errorType: 'InvalidStateTransition', errorMessage: `Init error reported after init was ${this.initPhase}` });
      return;
    }
    this.failInit(new InitError('runtime', parseErrorDocument(payload, headerValue(req, 'lambda-runtime-function-error-type'))));
    sendAccepted(res);
  }

  /**
   * Looks up the running invocation an answer refers to and marks it as being
   * answered, so that a second answer (or one for an unknown id) gets the same
   * 400 `InvalidRequestID` Lambda returns.
   */
  private claimAnswer(requestId: string, res: http.ServerResponse): Invocation | undefined {
    const invocation = this.running.get(requestId);
    if (!invocation || invocation.answering || invocation.settled) {
      sendJson(res, 400, { errorType: 'InvalidRequestID', errorMessage: 'Invalid request ID' });
      return undefined;
    }
    invocation.answering = true;
    return invocation;
  }

  // ---------------------------------------------------------------------------
  // Extensions API

  /** `POST /extension/register`. */
  private async onExtensionRegister(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const name = headerValue(req, 'lambda-extension-name');
    const raw = (await readBody(req, 64 * 1024)).data.toString('utf8');
    if (!name) {
      sendJson(res, 403, { errorType: 'Extension.InvalidExtensionName', errorMessage: 'Empty extension name' });
      return;
    }
    if (this.initPhase !== 'pending') {
      sendJson(res, 403, { errorType: 'Extension.RegistrationClosed', errorMessage: 'Extension registration closed already' });
      return;
    }
    if ([...this.extensionsById.values()].some(e => e.name === name)) {
      sendJson(res, 403, { errorType: 'Extension.InvalidExtensionState', errorMessage: 'Extension with this name already registered' });
      return;
    }
    let events: string[];
    try {
      events = parseRegistration(raw);
    } catch (err) {
      sendJson(res, 403, { errorType: 'InvalidRequestFormat', errorMessage: (err as Error).message });
      return;
    }
    const unknown = events.find(e => !EXTENSION_EVENT_TYPES.includes(e));
    if (unknown) {
      sendJson(res, 403, { errorType: 'Extension.InvalidEventType', errorMessage: `${unknown}: unsupported event type` });
      return;
    }

    const ext: ExtensionState = {
      id: randomUUID(),
      name,
      events,
      ready: false,
      busy: false,
      pending: [],
      shutdownDelivered: false,
      shutdownAcked: false,
    };
    this.extensionsById.set(ext.id, ext);
    res.setHeader('Lambda-Extension-Identifier', ext.id);
    sendJson(res, 200, { functionName: this.functionName, functionVersion: this.functionVersion, handler: this.handler });
    this.emit('extensionRegistered', { name: ext.name, id: ext.id, events: [...ext.events] });
  }

  /** `GET /extension/event/next`: the extension is done with its previous event (or with init). */
  private onExtensionNext(req: http.IncomingMessage, res: http.ServerResponse): void {
    const ext = this.identifyExtension(req, res);
    if (!ext) return;
    if (ext.waiting && !ext.waiting.writableEnded && !ext.waiting.destroyed) {
      sendJson(res, 403, { errorType: 'Extension.InvalidExtensionState', errorMessage: 'Extension is already waiting for an event' });
      return;
    }

    ext.busy = false;
    if (ext.shutdownDelivered) {
      ext.shutdownAcked = true;
    }
    if (!ext.ready) {
      ext.ready = true;
    }

    const next = ext.pending.shift();
    if (next) {
      this.writeExtensionEvent(ext, res, next);
    } else {
      ext.waiting = res;
      res.on('close', () => {
        if (ext.waiting === res) ext.waiting = undefined;
      });
    }
    this.checkInit();
    this.checkShutdownAcks();
    this.pump();
  }

  /** `POST /extension/init/error` and `/extension/exit/error`. */
  private async onExtensionError(duringInit: boolean, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ext = this.identifyExtension(req, res);
    if (!ext) return;
    const payload = (await readBody(req, this.maxResponseBytes)).data.toString('utf8');
    const document = parseErrorDocument(payload, headerValue(req, 'lambda-extension-function-error-type'));
    sendAccepted(res);
    if (!duringInit) {
      this.emit('extensionExitError', { name: ext.name, id: ext.id, events: [...ext.events] }, document);
    }
    // Either kind of error during init means the environment failed to initialise.
    if (this.initPhase === 'pending') {
      this.failInit(new InitError(`extension ${ext.name}`, document));
    }
  }

  /** Resolves the `Lambda-Extension-Identifier` header to a registered extension, or answers 403. */
  private identifyExtension(req: http.IncomingMessage, res: http.ServerResponse): ExtensionState | undefined {
    const id = headerValue(req, 'lambda-extension-identifier');
    if (!id) {
      sendJson(res, 403, { errorType: 'Extension.MissingExtensionIdentifier', errorMessage: 'Missing Lambda-Extension-Identifier header' });
      return undefined;
    }
    if (!UUID_PATTERN.test(id)) {
      sendJson(res, 403, { errorType: 'Extension.InvalidExtensionIdentifier', errorMessage: `Invalid extension identifier ${id}` });
      return undefined;
    }
    const ext = this.extensionsById.get(id);
    if (!ext) {
      sendJson(res, 403, { errorType: 'Extension.UnknownExtensionIdentifier', errorMessage: `Unknown extension ${id}` });
    }
    return ext;
  }

  /** Sends an event to an extension now if it is polling, otherwise when it next polls. */
  private deliverToExtension(ext: ExtensionState, event: object): void {
    const res = ext.waiting;
    if (res && !res.writableEnded && !res.destroyed) {
      ext.waiting = undefined;
      this.writeExtensionEvent(ext, res, event);
    } else {
      ext.pending.push(event);
    }
  }

  private writeExtensionEvent(ext: ExtensionState, res: http.ServerResponse, event: object): void {
    const type = (event as { eventType?: string }).eventType;
    if (type === 'INVOKE') ext.busy = true;
    if (type === 'SHUTDOWN') ext.shutdownDelivered = true;
    res.setHeader('Lambda-Extension-Event-Identifier', randomUUID());
    sendJson(res, 200, event);
  }

  // ---------------------------------------------------------------------------
  // State machine

  /** Init is complete when the runtime and every registered/expected extension have polled once. */
  private checkInit(): void {
    if (this.initPhase !== 'pending' || !this.runtimeReady) return;
    if (this.extensionsById.size < this.expectedExtensions) return;
    for (const ext of this.extensionsById.values()) {
      if (!ext.ready) return;
    }
    this.initPhase = 'ready';
    this.initDurationMs = performance.now() - this.processStartedAt;
    const result = { initDurationMs: this.initDurationMs };
    for (const waiter of this.initWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(result);
    }
    this.emit('init', result);
  }

  private failInit(error: InitError): void {
    this.initPhase = 'failed';
    this.initError = error;
    for (const waiter of this.initWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    for (const invocation of [...this.queue]) {
      this.fail(invocation, error);
    }
    this.emit('initError', error);
  }

  /**
   * Hands queued events to a polling runtime. As on Lambda, an event goes out only
   * after init, and only once every extension has finished with the previous one.
   */
  private pump(): void {
    if (this.initPhase !== 'ready' || this.shutdownStarted || this.closing) return;
    while (this.queue.length > 0 && this.runtimeWaiters.length > 0) {
      for (const ext of this.extensionsById.values()) {
        if (ext.busy) return;
      }
      const res = this.runtimeWaiters.shift() as http.ServerResponse;
      if (res.writableEnded || res.destroyed) continue;
      this.dispatch(this.queue.shift() as Invocation, res);
    }
  }

  private dispatch(invocation: Invocation, res: http.ServerResponse): void {
    invocation.dispatchedAt = performance.now();
    invocation.deadlineMs = Date.now() + invocation.timeoutMs;
    clearTimeout(invocation.timer);
    invocation.timer = setTimeout(() => this.expire(invocation), invocation.timeoutMs);
    this.running.set(invocation.requestId, invocation);

    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': invocation.body.length,
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': this.functionArn,
      'Lambda-Runtime-Trace-Id': invocation.traceId,
    };
    if (invocation.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = invocation.clientContext;
    if (invocation.cognitoIdentity !== undefined) headers['Lambda-Runtime-Cognito-Identity'] = invocation.cognitoIdentity;
    res.writeHead(200, headers);
    res.end(invocation.body);

    const invokeEvent = {
      eventType: 'INVOKE',
      deadlineMs: invocation.deadlineMs,
      requestId: invocation.requestId,
      invokedFunctionArn: this.functionArn,
      tracing: { type: 'X-Amzn-Trace-Id', value: invocation.traceId },
    };
    for (const ext of this.extensionsById.values()) {
      if (ext.events.includes('INVOKE')) this.deliverToExtension(ext, invokeEvent);
    }
    this.emit('invoke', { requestId: invocation.requestId, deadlineMs: invocation.deadlineMs });
  }

  private complete(invocation: Invocation, outcome: Omit<InvokeResult, 'requestId' | 'durationMs'>): void {
    if (invocation.settled) return;
    this.settle(invocation);
    const result: InvokeResult = {
      requestId: invocation.requestId,
      durationMs: invocation.dispatchedAt === undefined ? 0 : performance.now() - invocation.dispatchedAt,
      ...outcome,
    };
    invocation.resolve(result);
    this.emit('invokeComplete', result);
  }

  private expire(invocation: Invocation): void {
    if (invocation.settled) return;
    const error = new InvokeTimeoutError(invocation.requestId, invocation.timeoutMs, invocation.dispatchedAt !== undefined);
    this.fail(invocation, error);
    this.emit('invokeTimeout', error);
  }

  private fail(invocation: Invocation, error: Error): void {
    if (invocation.settled) return;
    this.settle(invocation);
    invocation.reject(error);
  }

  /** Marks an invocation finished and forgets it; later answers for it get 400. */
  private settle(invocation: Invocation): void {
    invocation.settled = true;
    clearTimeout(invocation.timer);
    removeItem(this.queue, invocation);
    this.running.delete(invocation.requestId);
  }

  private checkShutdownAcks(): void {
    if (!this.shutdownStarted || !this.resolveShutdownAcks) return;
    for (const ext of this.extensionsById.values()) {
      if (ext.events.includes('SHUTDOWN') && !ext.shutdownAcked) return;
    }
    this.resolveShutdownAcks();
  }

  private describeInitProgress(): string {
    const exts = [...this.extensionsById.values()];
    const ready = exts.filter(e => e.ready).map(e => e.name);
    const notReady = exts.filter(e => !e.ready).map(e => e.name);
    return [
      `runtime polled /next: ${this.runtimeReady ? 'yes' : 'no'}`,
      `extensions registered: ${exts.length}/${Math.max(exts.length, this.expectedExtensions)}`,
      `ready: [${ready.join(', ')}]`,
      `not ready: [${notReady.join(', ')}]`,
    ].join('; ');
  }
}

// -----------------------------------------------------------------------------
// Helpers

interface ReadBody {
  /** The body, cut at the limit. */
  readonly data: Buffer;
  /** The full size the sender transmitted. */
  readonly size: number;
  readonly overflow: boolean;
}

/**
 * Reads a request body (plain or chunked) to the end. Bytes past `limit` are
 * drained and counted but not kept. Rejects if the sender disconnects early.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (kept < limit) {
        const slice = kept + chunk.length > limit ? chunk.subarray(0, limit - kept) : chunk;
        chunks.push(slice);
        kept += slice.length;
      }
    });
    req.on('end', () => resolve({ data: Buffer.concat(chunks), size, overflow: size > limit }));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request body was cut off'));
    });
  });
}

/** Reads the `events` list from an extension registration body. */
function parseRegistration(raw: string): string[] {
  const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('Registration body must be a JSON object');
  }
  const events = (parsed as { events?: unknown }).events ?? [];
  if (!Array.isArray(events) || !events.every(e => typeof e === 'string')) {
    throw new Error('"events" must be an array of strings');
  }
  return events as string[];
}

/**
 * Turns an `/error` body into an error document. Runtimes normally post JSON; if the
 * body is not JSON it becomes the message. The error-type header fills a missing type.
 */
function parseErrorDocument(body: string, headerType?: string): ErrorDocument {
  let doc: { errorMessage?: string; errorType?: string; stackTrace?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      doc = {
        errorMessage: typeof o.errorMessage === 'string' ? o.errorMessage : undefined,
        errorType: typeof o.errorType === 'string' ? o.errorType : undefined,
        stackTrace: o.stackTrace,
      };
    } else {
      doc = { errorMessage: body };
    }
  } catch {
    doc = body === '' ? {} : { errorMessage: body };
  }
  if (!doc.errorType && headerType) {
    doc.errorType = headerType;
  }
  return doc;
}

function encodeEvent(event: unknown): Buffer {
  if (Buffer.isBuffer(event)) return event;
  if (typeof event === 'string') return Buffer.from(event, 'utf8');
  if (event === undefined) return Buffer.from('{}', 'utf8');
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** A fresh X-Ray trace header in the format Lambda sends: `Root=1-<epoch hex>-<96-bit id>;Parent=<64-bit id>;Sampled=0`. */
function newTraceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Answers 405 and returns false when the method does not match. */
function expectMethod(req: http.IncomingMessage, res: http.ServerResponse, method: string): boolean {
  if (req.method === method) return true;
  res.setHeader('Allow', method);
  sendJson(res, 405, { errorType: 'MethodNotAllowed', errorMessage: `Use ${method}` });
  return false;
}

function sendAccepted(res: http.ServerResponse): void {
  sendJson(res, 202, { status: 'OK' });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

function removeItem<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
