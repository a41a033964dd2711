/**
 * The comparison app behind the README's cold-start table: the sample hello function on Rust, Node.js 24, Python and
 * LLRT, the same runtimes doing real work (one DynamoDB PutItem and one GetItem through each runtime's AWS SDK, the
 * client created at Init), and the Flask sample behind the Web Adapter and in-process behind apig-wsgi, all x86_64
 * and 128 MB (so times are native on an x86_64 machine). The DynamoDB rows run against a local moto_server that
 * bench/coldstart.ts starts (their rows say so with `localAws`). `synthesizeComparisonApp` builds it into a cloud assembly that
 * `rustacean-lambda bench` then measures like any other app.
 *
 * Every Python row is built for, and run by, the local host's Python (its version in the row) with its bytecode.
 * LLRT runs on LLRT_BINARY_PATH when it names a release binary, else on LLRT built from crates.io with the default
 * preset (cached in .rustacean-lambda/cache).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { JAVA_LAMBDA_PERF_X86_64, JAVA_ROW_IDS, javaRows } from './java';
import { LlrtBinary, LlrtFunction, OptimizationPreset, PythonBundling, RustFunction, WebAdapterFunction, WebAdapterLayer } from '../../lib';
import { sampleEvent } from '../../lib/local';
import { buildLlrtFromCrates } from '../../test/support/llrt-source';
import { compiledPythonCopy, localPython, pipInstalledOnce } from '../../test/support/python';

const REPO = path.resolve(__dirname, '..', '..');
const RUST_HANDLERS = path.join(REPO, 'rust-handlers');
const COLDSTART_SAMPLES = path.join(REPO, 'samples', 'coldstart');
const FLASK_APP = path.join(REPO, 'samples', 'web-adapter', 'flask');
const WSGI_ADAPTER = path.join(__dirname, 'flask-wsgi');
const LLRT_HELLO = path.join(REPO, 'llrt-handlers', 'hello.ts');
const LLRT_PUT_GET = path.join(REPO, 'llrt-handlers', 'put-get.ts');
/** The table the DynamoDB rows write to (partition key `pk`, a string); created in the local moto_server. */
export const BENCH_TABLE = 'rustacean-lambda-bench';
/** The workloads of the rows, as the chart names them. */
export const HELLO = 'hello';
export const DYNAMODB = 'DynamoDB PutItem + GetItem';
/** Where LLRT's source and builds are kept (shared with the tests and `npm run bench:llrt`). */
export const LLRT_CACHE = path.join(REPO, '.rustacean-lambda', 'cache');
/** The stack of the comparison app; each row is the function `<STACK>/<row id>`. */
export const STACK = 'ColdStartLocal';

/**
 * lambda-perf on x86_64, zip, 128 MB. Init: 2026-08-22 (the figures issue #17 quotes, for the runtimes our rows run:
 * Node.js 24, Python 3.12, Java 21); memory and warm duration: the brief's 7-day means of Aug 2026, kept only where they
 * are of the same runtime (its Node.js memory is Node.js 20's, so the Node.js 24 row has none).
 */
export const LAMBDA_PERF_X86_64: Record<string, { initMs: number; memoryMb?: number; warmMs?: number }> = {
  'rust': { initMs: 16, memoryMb: 15, warmMs: 1.5 },
  'llrt': { initMs: 68, memoryMb: 30, warmMs: 1.5 },
  'python3.12': { initMs: 85, memoryMb: 36 },
  'nodejs24.x': { initMs: 135 },
  ...JAVA_LAMBDA_PERF_X86_64,
};
export const LAMBDA_PERF_SOURCE = 'maxday/lambda-perf, zip, 128 MB, x86_64: Init of 2026-08-22 (nodejs24.x, python3.12, java21); ' +
  'memory 7-day means of Aug 2026 (none for Node.js 24 and Java)';

/** One function of the comparison app. */
export interface RowDefinition {
  readonly id: string;
  readonly label: string;
  /** Key into {@link LAMBDA_PERF_X86_64}. */
  readonly reference?: string;
  readonly event: unknown;
  /** What the function does (hello or the real workload); undefined for the Flask rows. */
  readonly workload?: string;
  /** The function calls AWS: the bench runs it against a local moto_server, its endpoint in the environment. */
  readonly localAws?: boolean;
  /** Adds the function to the stack; returns a reason instead when it cannot be built here. */
  readonly add: (stack: Stack, id: string) => lambda.Function | string;
}

/** The ids of the rows, in the table's order. */
export const ROW_IDS = ['rust-hello', 'rust-dynamodb', 'nodejs-hello', 'nodejs-dynamodb', 'python-hello', 'python-dynamodb',
  'llrt-hello', 'llrt-dynamodb', ...JAVA_ROW_IDS, 'flask-web-adapter', 'flask-wsgi'];

const HELLO_EVENT = { name: 'Ferris' };
const DYNAMODB_EVENT = { id: 'bench-1' };
const DYNAMODB_ENVIRONMENT = { TABLE_NAME: BENCH_TABLE };

function flaskEvent(): unknown {
  const event = sampleEvent('apigw-v2') as { rawPath: string; requestContext: { http: { path: string } } };
  event.rawPath = '/hello/Ferris';
  event.requestContext.http.path = '/hello/Ferris';
  return event;
}

/**
 * The Python every Python row is built for and runs on here: the local host's interpreter. Each row's runtime is
 * `python<its version>` and its asset holds bytecode compiled by it (unchecked-hash, as WebAdapterFunction ships
 * it), so the rows compare like with like: no row compiles its imports from source at each cold start.
 */
function localPythonRuntime(): lambda.Runtime {
  const name = `python${localPython().version}`;
  return lambda.Runtime.ALL.find(r => r.name === name) ?? new lambda.Runtime(name, lambda.RuntimeFamily.PYTHON);
}

/** LLRT_BINARY_PATH when it names a release binary, else LLRT built from crates.io (built here, before the synth, so a failed build fails its rows alone). */
function llrtBinary(): LlrtBinary {
  const file = process.env.LLRT_BINARY_PATH;
  if (file) return LlrtBinary.fromFile(file);
  buildLlrtFromCrates(OptimizationPreset.BALANCED, 'x86_64', LLRT_CACHE);
  return LlrtBinary.fromSource({ cacheDirectory: LLRT_CACHE });
}

/** The rows, whose assets go into temporary folders listed in `temporary` (the caller removes them). */
export function rowDefinitions(temporary: string[]): RowDefinition[] {
  const x86 = lambda.Architecture.X86_64;
  /** A copy of `dir` (plus extra files) with bytecode for the local Python, in a temporary folder. */
  const compiledCopy = (dir: string, prefix: string, extra: Record<string, string> = {}): string =>
    compiledPythonCopy(dir, prefix, temporary, extra);
  /**
   * The Flask sample plus apig-wsgi, installed for the local Python (cached under .rustacean-lambda/bench), with
   * bytecode compiled for it (pip's own, timestamp-based, would not match the copied files' times).
   */
  const wsgiAsset = (): string => {
    const requirements = fs.readFileSync(path.join(WSGI_ADAPTER, 'requirements.txt'), 'utf8').split('\n').map(l => l.trim()).filter(Boolean);
    const deps = pipInstalledOnce('flask-wsgi', 'Flask + apig-wsgi', requirements);
    return compiledCopy(deps, 'rustacean-lambda-wsgi-', {
      'app.py': path.join(FLASK_APP, 'app.py'),
      'wsgi_handler.py': path.join(WSGI_ADAPTER, 'wsgi_handler.py'),
    });
  };
  return [
    {
      id: 'rust-hello',
      label: 'Rust hello',
      reference: 'rust',
      event: HELLO_EVENT,
      workload: HELLO,
      add: (stack, id) => new RustFunction(stack, id, { manifestPath: RUST_HANDLERS, binaryName: 'hello', architecture: x86, memorySize: 128 }),
    },
    {
      id: 'rust-dynamodb',
      label: 'Rust DynamoDB',
      event: DYNAMODB_EVENT,
      workload: DYNAMODB,
      localAws: true,
      add: (stack, id) => new RustFunction(stack, id, {
        manifestPath: path.join(RUST_HANDLERS, 'dynamodb'), binaryName: 'dynamodb', architecture: x86, memorySize: 128, environment: DYNAMODB_ENVIRONMENT,
      }),
    },
    {
      // The newest Node.js Lambda supports; the local host runs it on Node.js 24 (scripts/setup.sh installs one).
      id: 'nodejs-hello',
      label: 'Node.js 24 hello',
      reference: 'nodejs24.x',
      event: HELLO_EVENT,
      workload: HELLO,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: x86,
        memorySize: 128,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(path.join(COLDSTART_SAMPLES, 'node'), { exclude: ['dynamodb.*'] }),
      }),
    },
    {
      // The SDK v3 the runtime ships (locally: the host's pinned copy where Lambda has it), nothing bundled.
      id: 'nodejs-dynamodb',
      label: 'Node.js 24 DynamoDB',
      event: DYNAMODB_EVENT,
      workload: DYNAMODB,
      localAws: true,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: x86,
        memorySize: 128,
        handler: 'dynamodb.handler',
        code: lambda.Code.fromAsset(path.join(COLDSTART_SAMPLES, 'node'), { exclude: ['index.*'] }),
        environment: DYNAMODB_ENVIRONMENT,
      }),
    },
    {
      id: 'python-hello',
      label: `Python ${localPython().version} hello`,
      reference: 'python3.12',
      event: HELLO_EVENT,
      workload: HELLO,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        handler: 'hello.handler',
        // Each row's package holds its own handler only (the folder holds both), with its bytecode.
        code: lambda.Code.fromAsset(compiledCopy(path.join(COLDSTART_SAMPLES, 'python'), 'rustacean-lambda-hello-'), { exclude: ['**/dynamodb.*'] }),
      }),
    },
    {
      // boto3 as the runtime ships it (locally: the host's pinned copy, with its bytecode), nothing bundled.
      id: 'python-dynamodb',
      label: `Python ${localPython().version} DynamoDB`,
      event: DYNAMODB_EVENT,
      workload: DYNAMODB,
      localAws: true,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        handler: 'dynamodb.handler',
        code: lambda.Code.fromAsset(compiledCopy(path.join(COLDSTART_SAMPLES, 'python'), 'rustacean-lambda-dynamodb-'), { exclude: ['**/hello.*'] }),
        environment: DYNAMODB_ENVIRONMENT,
      }),
    },
    {
      id: 'llrt-hello',
      label: 'LLRT hello',
      reference: 'llrt',
      event: HELLO_EVENT,
      workload: HELLO,
      add: (stack, id) => new LlrtFunction(stack, id, { entry: LLRT_HELLO, architecture: x86, memorySize: 128, llrtBinary: llrtBinary() }),
    },
    {
      // LLRT from crates.io has no SDK inside: the DynamoDB client is bundled (a release binary's STANDARD type
      // would ship its own).
      id: 'llrt-dynamodb',
      label: 'LLRT DynamoDB',
      event: DYNAMODB_EVENT,
      workload: DYNAMODB,
      localAws: true,
      add: (stack, id) => new LlrtFunction(stack, id, {
        entry: LLRT_PUT_GET, architecture: x86, memorySize: 128, llrtBinary: llrtBinary(), environment: DYNAMODB_ENVIRONMENT,
      }),
    },
    ...javaRows(),
    {
      // The Flask sample with the adapter layer built from crates.io for x86_64 (no other account's layer, nothing
      // to download but crates); pip for the local Python's version, and its bytecode (WebAdapterFunction's default).
      id: 'flask-web-adapter',
      label: `Flask via Web Adapter, Python ${localPython().version}`,
      event: flaskEvent(),
      add: (stack, id) => new WebAdapterFunction(stack, id, {
        appPath: FLASK_APP,
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        adapterLayer: WebAdapterLayer.fromSource(),
        bundling: { pythonBundling: PythonBundling.LOCAL },
      }),
    },
    {
      id: 'flask-wsgi',
      label: `Flask via apig-wsgi, Python ${localPython().version}`,
      event: flaskEvent(),
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        handler: 'wsgi_handler.handler',
        code: lambda.Code.fromAsset(wsgiAsset()),
      }),
    },
  ];
}

/** What {@link synthesizeComparisonApp} built. */
export interface ComparisonApp {
  /** The rows asked for, in the table's order. */
  readonly definitions: RowDefinition[];
  /** Rows that threw while being built: the first line of the error. */
  readonly failed: Map<string, string>;
  /** Rows skipped for a documented reason. */
  readonly skipped: Map<string, string>;
}

/**
 * Synthesizes the rows asked for (all by default) into `outdir`. A row that throws while being built is recorded
 * as failed and left out of the app, so the other rows still run.
 */
export function synthesizeComparisonApp(outdir: string, only: string[] | undefined, temporary: string[], log: (line: string) => void): ComparisonApp {
  const definitions = rowDefinitions(temporary).filter(d => !only || only.includes(d.id));
  const failed = new Map<string, string>();
  const skipped = new Map<string, string>();
  log(`synthesizing the benchmark app (${definitions.map(d => d.id).join(', ')}); first builds can take minutes`);
  const app = new App({ outdir });
  const stack = new Stack(app, STACK);
  for (const definition of definitions) {
    let added: lambda.Function | string;
    try {
      added = definition.add(stack, definition.id);
    } catch (err) {
      failed.set(definition.id, `cannot be built: ${(err as Error).message.split('\n')[0]}`);
      log(`[${definition.id}] failed to build: ${(err as Error).message}`);
      continue;
    }
    if (typeof added === 'string') {
      skipped.set(definition.id, added);
      log(`[${definition.id}] skipped: ${added}`);
    }
  }
  app.synth();
  return { definitions, failed, skipped };
}
