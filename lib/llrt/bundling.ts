import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBootstrap, RuntimeImports } from './bootstrap';
import { checkLoadable, checkSameVersion, compileBundle, displayPath, sourcePosition } from './compiler';
import { LlrtBinaryType, LlrtBundlingOptions, LlrtVersion } from './types';
import { LlrtWarnings } from './warnings';
import { hostArchitecture } from '../core/arch';
import { sha256 } from '../core/hash';
import { localAsset } from '../core/local-asset';

/** The part of esbuild's JavaScript API used here (declared locally: esbuild is the user's dependency, not ours). */
interface EsbuildMessage {
  readonly text: string;
  readonly location: { readonly file: string; readonly line: number; readonly column: number; readonly lineText: string } | null;
}
interface EsbuildOutput {
  readonly exports: string[];
  readonly imports: Array<{ readonly path: string; readonly external?: boolean }>;
}
interface EsbuildInput {
  readonly imports: Array<{ readonly path: string; readonly kind: string; readonly external?: boolean; readonly original?: string }>;
}
interface EsbuildApi {
  readonly version: string;
  buildSync(options: Record<string, unknown>): {
    readonly warnings: EsbuildMessage[];
    readonly metafile?: { readonly outputs: Record<string, EsbuildOutput>; readonly inputs: Record<string, EsbuildInput> };
  };
}

/** SDK clients compiled into the standard binary (and the full one). */
const STANDARD_CLIENTS = [
  'cloudwatch-events', 'cloudwatch-logs', 'cognito-identity', 'cognito-identity-provider', 'dynamodb', 'eventbridge',
  'kms', 'lambda', 's3', 'secrets-manager', 'ses', 'sfn', 'sns', 'sqs', 'ssm', 'sts', 'xray',
];

/** SDK clients only the full-sdk binary has. */
const FULL_ONLY_CLIENTS = [
  'acm', 'amplify', 'api-gateway', 'apigatewayv2', 'appconfig', 'appconfigdata', 'appsync', 'athena', 'auto-scaling',
  'batch', 'bedrock', 'bedrock-agent', 'bedrock-agent-runtime', 'bedrock-runtime', 'cloudformation', 'cloudwatch',
  'dynamodb-streams', 'ec2', 'ecr', 'ecs', 'efs', 'eks', 'elastic-load-balancing-v2', 'elasticache', 'firehose', 'glue',
  'iam', 'kinesis', 'location', 'mediaconvert', 'opensearch', 'opensearchserverless', 'polly', 'rds', 'rds-data',
  'rekognition', 'scheduler', 'servicediscovery', 'service-catalog', 'sesv2', 'sso', 'sso-admin', 'sso-oidc', 'textract',
  'translate', 'verifiedpermissions',
];

/** Helpers and shared layers that come with any binary that has an SDK. */
const SDK_SUPPORT = [
  '@aws-sdk/core', '@aws-sdk/credential-providers', '@aws-sdk/lib-dynamodb', '@aws-sdk/lib-storage',
  '@aws-sdk/s3-presigned-post', '@aws-sdk/s3-request-presigner', '@aws-sdk/util-dynamodb',
  '@aws-sdk/util-user-agent-browser', '@smithy/*', '@aws-crypto/*',
];

/**
 * The AWS SDK packages a binary already contains, which therefore stay out of the bundle. Lists follow LLRT's
 * "Using AWS SDK (v3) with LLRT" tables; a package missing from them is bundled, which always works.
 */
export function sdkExternals(type: LlrtBinaryType): string[] {
  switch (type) {
    case LlrtBinaryType.NO_SDK: return [];
    case LlrtBinaryType.STANDARD: return [...STANDARD_CLIENTS.map(c => `@aws-sdk/client-${c}`), ...SDK_SUPPORT];
    case LlrtBinaryType.FULL_SDK: return [...[...STANDARD_CLIENTS, ...FULL_ONLY_CLIENTS].sort().map(c => `@aws-sdk/client-${c}`), ...SDK_SUPPORT];
  }
  throw new Error(`llrtBinaryType '${type}' is unknown; expected one of ${Object.values(LlrtBinaryType).join(', ')}`);
}

/** Modules the runtime provides: every Node.js built-in name (bare and `node:`) and LLRT's own `llrt:*`. */
export const RUNTIME_MODULES = [...new Set(builtinModules.filter(m => !m.startsWith('_')))].sort().concat(['node:*', 'llrt:*']);

/** LLRT releases before this one only understand ES2020. */
const ES2023_SINCE = LlrtVersion.of('v0.2.0-beta');

/**
 * The esbuild target for an LLRT release (undefined: a recent one). es2023 needs esbuild 0.21.2 or newer; for
 * older esbuild es2022 produces the same output.
 */
export function esTarget(tag: string | undefined, esbuildVersion: string): string {
  if (tag && !LlrtVersion.of(tag).isAtLeast(ES2023_SINCE)) return 'es2020';
  const [major, minor, patch] = esbuildVersion.split('.').map(n => parseInt(n, 10));
  const modern = major > 0 || minor > 21 || (minor === 21 && patch >= 2);
  return modern ? 'es2023' : 'es2022';
}

/** Finds the user's esbuild once per process (like aws-lambda-nodejs, we do not ship one). */
export class Esbuild {
  public static reset(): void {
    Esbuild.cached = undefined;
  }

  /** Loads esbuild resolvable from one of `searchFrom` (folders), else throws with an install hint. */
  public static load(searchFrom: string[]): EsbuildApi {
    if (Esbuild.cached) return Esbuild.cached;
    let resolved: string | undefined;
    try {
      resolved = require.resolve('esbuild', { paths: searchFrom });
    } catch {
      resolved = undefined;
    }
    if (!resolved) {
      throw new Error(`esbuild is needed to bundle LLRT functions but cannot be found from ${searchFrom.join(' or ')}; ` +
        'install it in your CDK project with `npm install --save-dev esbuild` (0.21.2 or newer for the es2023 target)');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require(resolved) as EsbuildApi;
    if (typeof api.buildSync !== 'function') {
      throw new Error(`the esbuild found at ${resolved} has no buildSync API; install a current esbuild with \`npm install --save-dev esbuild\``);
    }
    Esbuild.cached = api;
    return api;
  }

  private static cached: EsbuildApi | undefined;
}

/** What one LLRT handler bundle is made of. */
export interface BundleRequest {
  /** Absolute path of the entry file. */
  readonly entry: string;
  /** The export Lambda calls (`index.<exportName>`). */
  readonly exportName: string;
  readonly binaryType: LlrtBinaryType;
  readonly options: LlrtBundlingOptions;
}

/** What the runtime resolves: LLRT's modules (from the release's sources) and the SDK packages of the binary. */
export interface BundleResult {
  readonly outputFile: string;
  readonly bytes: number;
  readonly target: string;
  /** Imports left to the runtime (SDK packages, built-ins), as written in the source. */
  readonly externalImports: string[];
}

/**
 * Bundles the entry into `<outputDir>/index.mjs` with esbuild's synchronous API (no shell, works on Windows):
 * one minified ES module for the browser platform (LLRT's resolver prefers browser builds), with built-ins and the
 * binary's SDK packages left external.
 */
export function bundle(request: BundleRequest, outputDir: string, llrtTag: string | undefined, warnings: LlrtWarnings,
  runtime?: RuntimeImports, sourcemap = false): BundleResult {
  const esbuild = Esbuild.load([path.dirname(request.entry), process.cwd()]);
  const target = esTarget(llrtTag, esbuild.version);
  const outputFile = path.join(outputDir, 'index.mjs');
  const options = request.options;
  let result: ReturnType<EsbuildApi['buildSync']>;
  try {
    result = esbuild.buildSync({
      entryPoints: [request.entry],
      outfile: outputFile,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target,
      minify: options.minify ?? true,
      // LLRT does not read source maps; a bytecode build keeps one beside the bundle (never shipped) to name the
      // source line of a compile error.
      sourcemap: sourcemap ? 'external' : false,
      external: [...RUNTIME_MODULES, ...sdkExternals(request.binaryType), ...(options.externalModules ?? [])],
      define: options.define,
      banner: options.banner ? { js: options.banner } : undefined,
      tsconfig: options.tsconfig,
      metafile: true,
      write: true,
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    const details = errors && errors.length > 0 ? errors.slice(0, 10).map(formatMessage).join('\n') : `  ${(e as Error).message}`;
    throw new Error(`esbuild could not bundle '${displayPath(request.entry)}' for LLRT:\n${details}`);
  }
  for (const w of result.warnings.slice(0, 5)) warnings.push({ id: 'llrt-esbuild', message: `esbuild: ${formatMessage(w).trim()}` });

  const output = Object.entries(result.metafile?.outputs ?? {}).find(([file]) => path.resolve(file) === path.resolve(outputFile))?.[1];
  const exported = output?.exports ?? [];
  if (!exported.includes(request.exportName)) {
    throw new Error(`'${displayPath(request.entry)}' has no export named '${request.exportName}'; exports: ` +
      `${exported.join(', ') || '(none)'}; export the handler (\`export const ${request.exportName} = async (event) => ...\`) ` +
      'or set `handler` to the name of the exported function');
  }
  const externalImports = [...new Set((output?.imports ?? []).filter(i => i.external).map(i => i.path))].sort();
  if (runtime) {
    const problems = unresolvableImports(result.metafile?.inputs ?? {}, request, runtime);
    if (problems.length > 0) {
      fs.rmSync(outputFile, { force: true });
      throw new Error(`'${displayPath(request.entry)}' imports modules LLRT ${runtime.release} cannot provide at run time ` +
        `(binary type ${request.binaryType}):\n${problems.slice(0, 10).join('\n')}` +
        `${problems.length > 10 ? `\n  ... and ${problems.length - 10} more` : ''}\n` +
        `LLRT's own modules: ${runtime.modules.join(', ')}; SDK packages of the ${request.binaryType} binary: ` +
        `${sdkExternals(request.binaryType).join(', ') || 'none (they are bundled)'}`);
    }
  }
  return { outputFile, bytes: fs.statSync(outputFile).size, target, externalImports };
}

/** What to use on LLRT instead of a Node.js module it lacks. */
const LLRT_ALTERNATIVES: Record<string, string> = {
  http: 'use the global fetch() (LLRT has no http module), or a client built on fetch',
  https: 'use the global fetch(), or a client built on fetch',
  http2: 'use the global fetch()',
  querystring: 'use URLSearchParams',
  punycode: 'use URL (domainToASCII in url)',
  worker_threads: 'none: LLRT runs one thread; do the work in the handler or in another function',
  cluster: 'none: one LLRT process serves one sandbox',
  tls: 'use the global fetch() for HTTPS',
  v8: 'none: LLRT runs on QuickJS, not V8',
  vm: 'none: LLRT runs on QuickJS and has no vm module',
};

/**
 * Every external import of the bundle that LLRT cannot resolve, with the chain of files from the entry: Node.js
 * built-ins the release does not provide, `llrt:` modules it does not have, and packages that are neither built in
 * nor part of the binary's SDK (a package left external is never installed next to index.mjs).
 */
export function unresolvableImports(inputs: Record<string, EsbuildInput>, request: BundleRequest, runtime: RuntimeImports): string[] {
  const provided = new Set(runtime.modules);
  const sdk = sdkExternals(request.binaryType);
  const inSdk = (spec: string) => sdk.some(p => (p.endsWith('/*') ? spec.startsWith(p.slice(0, -1)) : spec === p || spec.startsWith(`${p}/`)));
  const userExternal = (spec: string) => (request.options.externalModules ?? []).some(p => (p.endsWith('*') ? spec.startsWith(p.slice(0, -1)) : spec === p));

  // The import graph: who first pulled in each file, breadth first from the entry (shortest chains).
  const keyOf = (file: string) => Object.keys(inputs).find(k => path.resolve(k) === path.resolve(file));
  const entryKey = keyOf(request.entry) ?? Object.keys(inputs)[0];
  const parent = new Map<string, string | undefined>([[entryKey, undefined]]);
  const queue = [entryKey];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const i of inputs[file]?.imports ?? []) {
      if (!i.external && inputs[i.path] && !parent.has(i.path)) {
        parent.set(i.path, file);
        queue.push(i.path);
      }
    }
  }
  const chain = (file: string) => {
    const files: string[] = [];
    for (let f: string | undefined = file; f !== undefined; f = parent.get(f)) files.unshift(f);
    return files.join(' -> ');
  };

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of parent.keys()) {
    for (const i of inputs[file]?.imports ?? []) {
      if (!i.external) continue;
      const spec = i.original ?? i.path;
      const bare = spec.replace(/^node:/, '');
      const key = `${file}\0${spec}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const builtin = spec.startsWith('node:') || builtinModules.includes(bare);
      if (spec.startsWith('llrt:')) {
        if (!provided.has(spec)) problems.push(`  ${spec}: LLRT ${runtime.release} has no such module (${chain(file)} -> ${spec})`);
      } else if (builtin) {
        if (!provided.has(bare)) {
          problems.push(`  ${spec}: a Node.js module LLRT ${runtime.release} does not provide (${chain(file)} -> ${spec}); ` +
            (LLRT_ALTERNATIVES[bare] ?? 'none in LLRT: use a library that does not need it, or run this function on Node.js'));
        }
      } else if (!inSdk(spec)) {
        problems.push(`  ${spec}: left external (${userExternal(spec) ? 'bundling.externalModules' : 'not bundled'}) but neither an LLRT ` +
          `module nor in the ${request.binaryType} binary's SDK, so nothing resolves it at run time (${chain(file)} -> ${spec}); ` +
          'bundle it (remove it from bundling.externalModules)');
      }
    }
  }
  return problems;
}

function formatMessage(m: EsbuildMessage): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
  return `  ${where}${m.text}`;
}

/**
 * The function's asset: `index.mjs`, or `index.lrt` when it is bytecode (LLRT tries `index.js`, `.mjs`, `.cjs`
 * before `.lrt`, so never both), plus LLRT's `bootstrap` at the root unless a layer provides it.
 */
export function functionCode(request: BundleRequest, bootstrap: LlrtBootstrap, includeBootstrap: boolean, warnings: LlrtWarnings): lambda.AssetCode {
  const binary = bootstrap.spec;
  let bytecode = request.options.bytecode ?? bootstrap.bytecode?.byDefault ?? false;
  // The compiler is an LLRT binary for Linux that runs at synth. Where bytecode is only the default, a synth on
  // another machine (macOS, Windows) deploys JavaScript and says so, instead of failing; asked for, it fails.
  if (bytecode && request.options.bytecode === undefined && (process.platform !== 'linux' || !hostArchitecture())) {
    warnings.push({
      id: 'llrt-bytecode-skipped',
      message: 'deployed as JavaScript (index.mjs), not bytecode: LLRT\'s bytecode compiler runs at synth on Linux ' +
        `(x86_64 or arm64), and this machine is ${process.platform} ${process.arch}; synthesize on Linux (CI) for ` +
        'bytecode, or set bundling.bytecode to false to say JavaScript is meant',
    });
    bytecode = false;
  }
  const compilerKey = bytecode ? bootstrap.bytecode?.key ?? null : null;
  const key = sha256(JSON.stringify({ v: 1, request, binary: { ...binary, version: binary.version.version }, includeBootstrap, compilerKey }));
  // The output is hashed: unchanged sources, binary and compiler give an unchanged asset.
  return localAsset(path.dirname(request.entry), { cacheKey: key }, outputDir => {
    const prepared = bootstrap.prepare(includeBootstrap ? outputDir : undefined, warnings);
    if (!bytecode || !bootstrap.bytecode) {
      bundle(request, outputDir, prepared.tag, warnings, prepared.runtime);
      return;
    }
    const runtimeVersion = bootstrap.runtimeVersion(prepared, warnings);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-bytecode-'));
    try {
      // Imports are checked (and refused) before anything is compiled.
      bundle(request, work, prepared.tag, warnings, prepared.runtime, true);
      const compiler = bootstrap.bytecode.obtain(runtimeVersion, warnings);
      if (!compiler) {
        fs.copyFileSync(path.join(work, 'index.mjs'), path.join(outputDir, 'index.mjs'));
        return;
      }
      if (runtimeVersion) checkSameVersion(compiler, runtimeVersion);
      const lrt = compileBundle(compiler, work, at => sourcePosition(path.join(work, 'index.mjs.map'), at));
      const runtimeBinary = includeBootstrap ? fs.readFileSync(path.join(outputDir, 'bootstrap')) : undefined;
      checkLoadable(lrt, runtimeBinary, compiler, `LLRT ${runtimeVersion ?? binary.version.version}`);
      fs.writeFileSync(path.join(outputDir, 'index.lrt'), lrt);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}
