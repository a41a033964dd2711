/**
 * Reads a synthesized cloud assembly (`cdk.out`) and lists its Lambda functions with
 * everything needed to run them locally: code asset folder, runtime, handler,
 * architecture, memory, timeout, literal environment variables and layers.
 *
 * Only what the assembly states is used. Values that CloudFormation resolves at deploy
 * time (references to other resources, imports, parameters) are reported as unresolved,
 * never guessed; a few pseudo parameters get the same local placeholders the host uses
 * elsewhere (region us-east-1, account 123456789012).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Architecture } from '../core/arch';

/** Where a function's code comes from. */
export type FunctionCode =
  /** A file asset staged in the assembly: a folder, or a `.zip` file. */
  | { readonly kind: 'asset'; readonly path: string }
  /** Inline source (`Code.fromInline`, CloudFormation `ZipFile`). */
  | { readonly kind: 'inline'; readonly source: string }
  /** Something that cannot run locally from the assembly (a container image, an S3 object that is not an asset). */
  | { readonly kind: 'unsupported'; readonly reason: string };

/** A layer whose content is an asset of the same assembly. */
export interface LocalLayer {
  readonly logicalId: string;
  /** The layer's construct path, when CDK recorded it. */
  readonly constructPath?: string;
  /** The asset: a folder or a `.zip` file. */
  readonly path: string;
}

/** One `AWS::Lambda::Function` of a stack, as far as the assembly tells. */
export interface AssemblyFunction {
  readonly stackName: string;
  readonly logicalId: string;
  /** Construct path without the trailing `/Resource`, e.g. `MyStack/Api`; the logical id when CDK recorded none. */
  readonly constructPath: string;
  /** The literal `FunctionName`, when the template sets one. */
  readonly functionName?: string;
  /** E.g. `provided.al2023`, `python3.12`, `nodejs24.x`; undefined for container images. */
  readonly runtime?: string;
  readonly handler?: string;
  readonly architecture: Architecture;
  /** @default 128, as on Lambda */
  readonly memorySizeMb: number;
  /** @default 3, as on Lambda */
  readonly timeoutSeconds: number;
  /** Environment variables whose values are literal (or made of resolvable pseudo parameters). */
  readonly environment: Readonly<Record<string, string>>;
  /** Names of environment variables whose values are only known at deploy time. */
  readonly unresolvedEnvironment: ReadonlyArray<string>;
  readonly code: FunctionCode;
  /** Layers that are assets of this assembly, in the function's order (later ones win on file clashes, as on Lambda). */
  readonly layers: ReadonlyArray<LocalLayer>;
  /** Layers that cannot be fetched locally (ARNs, imports), as the template states them. */
  readonly externalLayers: ReadonlyArray<string>;
}

/** Everything runnable in an assembly. */
export interface AssemblyInfo {
  /** Absolute path of the assembly folder. */
  readonly dir: string;
  readonly functions: ReadonlyArray<AssemblyFunction>;
}

/** Local stand-ins for pseudo parameters, matching the environment `startFunction` sets. */
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

interface Artifact {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly directoryName?: string;
    readonly stackName?: string;
    /** Asset manifests: their file name. */
    readonly file?: string;
  };
  readonly dependencies?: string[];
  readonly metadata?: Record<string, Array<{ readonly type: string; readonly data?: unknown }>>;
}

interface Manifest {
  readonly artifacts?: Record<string, Artifact>;
}

/**
 * Where a stack's resources are described besides the template: the construct path of each
 * logical id and the staged file asset of each S3 object key. CDK writes the same facts into
 * resource metadata (`aws:cdk:path`, `aws:asset:path`) only when the CLI asks for it, so an
 * assembly synthesized without the CLI needs these.
 */
interface StackContext {
  readonly assemblyDir: string;
  readonly stackName: string;
  readonly pathsByLogicalId: ReadonlyMap<string, string>;
  readonly assetsByObjectKey: ReadonlyMap<string, string>;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** Reads `manifest.json` of a cloud assembly (and of nested assemblies, e.g. CDK stages). */
export function readAssembly(dir: string): AssemblyInfo {
  const absolute = path.resolve(dir);
  const manifestFile = path.join(absolute, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`no cloud assembly at '${dir}' (expected ${manifestFile}); run \`cdk synth\` first, ` +
      'or pass --assembly <dir> pointing at the synthesized cdk.out folder');
  }
  const functions: AssemblyFunction[] = [];
  collect(absolute, functions, new Set());
  return { dir: absolute, functions };
}

function collect(dir: string, out: AssemblyFunction[], visited: Set<string>): void {
  if (visited.has(dir)) return;
  visited.add(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) as {
        Resources?: Record<string, CfnResource>;
      };
      const context = stackContext(dir, artifact.displayName ?? artifact.properties.stackName ?? id, artifact, manifest);
      out.push(...stackFunctions(context, template.Resources ?? {}));
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      const nested = path.join(dir, artifact.properties.directoryName);
      if (fs.existsSync(path.join(nested, 'manifest.json'))) collect(nested, out, visited);
    }
  }
}

function stackContext(assemblyDir: string, stackName: string, stack: Artifact, manifest: Manifest): StackContext {
  const pathsByLogicalId = new Map<string, string>();
  for (const [constructPath, entries] of Object.entries(stack.metadata ?? {})) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        pathsByLogicalId.set(entry.data, constructPath.replace(/^\//, ''));
      }
    }
  }
  const assetsByObjectKey = new Map<string, string>();
  for (const dependency of stack.dependencies ?? []) {
    const assets = manifest.artifacts?.[dependency];
    if (assets?.type !== 'cdk:asset-manifest' || !assets.properties?.file) continue;
    const file = path.join(assemblyDir, assets.properties.file);
    if (!fs.existsSync(file)) continue;
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      files?: Record<string, { source?: { path?: string }; destinations?: Record<string, { objectKey?: string }> }>;
    };
    for (const entry of Object.values(parsed.files ?? {})) {
      if (!entry.source?.path) continue;
      for (const destination of Object.values(entry.destinations ?? {})) {
        if (destination.objectKey) assetsByObjectKey.set(destination.objectKey, entry.source.path);
      }
    }
  }
  return { assemblyDir, stackName, pathsByLogicalId, assetsByObjectKey };
}

/** The functions of one stack template. */
export function stackFunctions(context: StackContext, resources: Record<string, CfnResource>): AssemblyFunction[] {
  const { stackName } = context;
  const functions: AssemblyFunction[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties ?? {};
    const { environment, unresolved } = literalEnvironment(props.Environment);
    const { layers, external } = functionLayers(context, props.Layers, resources);
    const architectures = Array.isArray(props.Architectures) ? props.Architectures : [];
    functions.push({
      stackName,
      logicalId,
      constructPath: constructPathOf(context, logicalId, resource) ?? `${stackName}/${logicalId}`,
      functionName: typeof props.FunctionName === 'string' ? props.FunctionName : undefined,
      runtime: typeof props.Runtime === 'string' ? props.Runtime : undefined,
      handler: typeof props.Handler === 'string' ? props.Handler : undefined,
      architecture: architectures.includes('arm64') ? 'arm64' : 'x86_64',
      memorySizeMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
      environment,
      unresolvedEnvironment: unresolved,
      code: functionCode(context, resource),
      layers,
      externalLayers: external,
    });
  }
  return functions;
}

/**
 * Finds one function by a name the user typed: its construct path (with or without the
 * stack, with or without `/Resource`), its logical id, or its literal function name;
 * matching is case-insensitive and a unique trailing part of the construct path is enough
 * (`Hello` finds `MyStack/Hello`).
 */
export function findFunction(info: AssemblyInfo, name: string): AssemblyFunction {
  const wanted = name.replace(/\/Resource$/, '').toLowerCase();
  const exact = info.functions.filter(f =>
    f.constructPath.toLowerCase() === wanted
    || f.logicalId.toLowerCase() === wanted
    || f.functionName?.toLowerCase() === wanted
    || `${f.stackName}/${f.logicalId}`.toLowerCase() === wanted);
  const matches = exact.length > 0
    ? exact
    : info.functions.filter(f => f.constructPath.toLowerCase().endsWith(`/${wanted}`));
  if (matches.length === 1) return matches[0];
  const all = info.functions.map(f => f.constructPath);
  if (matches.length === 0) {
    throw new Error(`no function '${name}' in ${info.dir}; functions: ${all.length ? all.join(', ') : '(none)'}`);
  }
  throw new Error(`'${name}' matches ${matches.length} functions (${matches.map(f => f.constructPath).join(', ')}); ` +
    'give the full construct path');
}

function constructPathOf(context: StackContext, logicalId: string, resource: CfnResource): string | undefined {
  const p = resource.Metadata?.['aws:cdk:path'] ?? context.pathsByLogicalId.get(logicalId);
  return typeof p === 'string' ? p.replace(/\/Resource$/, '') : undefined;
}

/**
 * The staged asset of a resource: `aws:asset:path` (relative to the assembly, or absolute), else
 * the asset manifest's entry for the literal S3 key in `code` (`Code` or a layer's `Content`).
 */
function assetPath(context: StackContext, resource: CfnResource, code: unknown): string | undefined {
  let p = resource.Metadata?.['aws:asset:path'];
  if (typeof p !== 'string') {
    const key = (code as { S3Key?: unknown } | undefined)?.S3Key;
    p = typeof key === 'string' ? context.assetsByObjectKey.get(key) : undefined;
  }
  if (typeof p !== 'string') return undefined;
  return path.isAbsolute(p) ? p : path.join(context.assemblyDir, p);
}

function functionCode(context: StackContext, resource: CfnResource): FunctionCode {
  const code = (resource.Properties?.Code ?? {}) as Record<string, unknown>;
  if (typeof code.ZipFile === 'string') return { kind: 'inline', source: code.ZipFile };
  if (code.ImageUri !== undefined || resource.Properties?.PackageType === 'Image') {
    return { kind: 'unsupported', reason: 'container image functions are not run by the local host (use the image itself)' };
  }
  const asset = assetPath(context, resource, code);
  if (!asset) {
    return { kind: 'unsupported', reason: 'the code is an S3 object that is not an asset of this assembly' };
  }
  if (!fs.existsSync(asset)) {
    return { kind: 'unsupported', reason: `the code asset ${asset} is missing (was the stack synthesized with bundling skipped?)` };
  }
  return { kind: 'asset', path: asset };
}

function functionLayers(context: StackContext, value: unknown, resources: Record<string, CfnResource>) {
  const layers: LocalLayer[] = [];
  const external: string[] = [];
  for (const entry of Array.isArray(value) ? value : []) {
    const ref = typeof entry === 'object' && entry !== null ? (entry as { Ref?: unknown }).Ref : undefined;
    const target = typeof ref === 'string' ? resources[ref] : undefined;
    if (typeof ref === 'string' && target?.Type === 'AWS::Lambda::LayerVersion') {
      const asset = assetPath(context, target, target.Properties?.Content);
      if (asset && fs.existsSync(asset)) {
        layers.push({ logicalId: ref, constructPath: constructPathOf(context, ref, target), path: asset });
        continue;
      }
    }
    external.push(typeof entry === 'string' ? entry : JSON.stringify(entry));
  }
  return { layers, external };
}

/** Splits `Environment.Variables` into literal values and the names of deploy-time values. */
function literalEnvironment(value: unknown): { environment: Record<string, string>; unresolved: string[] } {
  const environment: Record<string, string> = {};
  const unresolved: string[] = [];
  const variables = (value as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  for (const [name, v] of Object.entries(variables)) {
    const literal = resolveLiteral(v);
    if (literal === undefined) unresolved.push(name);
    else environment[name] = literal;
  }
  return { environment, unresolved };
}

/** A CloudFormation value as a string when it needs nothing from a deployment; undefined otherwise. */
export function resolveLiteral(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') return PSEUDO_PARAMETERS[o.Ref];
  const join = o['Fn::Join'];
  if (Array.isArray(join) && join.length === 2 && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(resolveLiteral);
    return parts.every(p => p !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}
