import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { describeSource, LlrtBootstrap } from './bootstrap';
import { addLlrtWarnings, LlrtWarnings } from './warnings';
import { ARCHITECTURES } from '../core/arch';
import { sha256 } from '../core/hash';
import { localAsset } from '../core/local-asset';

/**
 * A layer holding LLRT's `bootstrap`, built locally (no Docker) and shared: one per version, architecture and
 * binary type and binary source in each stack.
 */
export class LlrtRuntimeLayer extends lambda.LayerVersion {
  /** The layer for a binary in the stack of `scope`, created on first use. */
  public static forStack(scope: Construct, bootstrap: LlrtBootstrap, suffix: string): LlrtRuntimeLayer {
    const stack = Stack.of(scope);
    const binary = bootstrap.spec;
    // Named as LLRT's release assets name the architecture (x64, arm64), as the ids of existing stacks are.
    const arch = ARCHITECTURES[binary.arch];
    let id = `LlrtRuntime-${binary.version.version}-${arch.llrt}-${binary.type}`;
    if (suffix) id += `-${suffix}`;
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof LlrtRuntimeLayer) return existing;
    return new LlrtRuntimeLayer(stack, id, bootstrap);
  }

  private constructor(scope: Construct, id: string, bootstrap: LlrtBootstrap) {
    const binary = bootstrap.spec;
    const warnings: LlrtWarnings = [];
    const arch = ARCHITECTURES[binary.arch];
    super(scope, id, {
      // LLRT's `bootstrap` at the root: Lambda runs `/opt/bootstrap` when the function has none.
      code: localAsset(__dirname, { cacheKey: sha256(JSON.stringify({ v: 1, layer: { ...binary, version: binary.version.version } })) },
        outputDir => bootstrap.stage(outputDir, warnings)),
      compatibleArchitectures: [arch.lambda],
      compatibleRuntimes: [lambda.Runtime.PROVIDED_AL2023],
      description: `LLRT ${binary.version.version} runtime (${arch.llrt}, ${binary.type})` +
        describeSource(binary),
      license: 'Apache-2.0',
    });
    addLlrtWarnings(this, warnings);
  }
}
