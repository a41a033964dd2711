import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The two Lambda architectures, by the one name this library uses for them everywhere. */
export type Architecture = 'arm64' | 'x86_64';

/** Everything an architecture is called elsewhere: one row per architecture instead of one name per tool. */
export interface ArchitectureNames {
  /** The Lambda architecture. */
  readonly lambda: lambda.Architecture;
  /** `e_machine` of an ELF executable built for it. */
  readonly elfMachine: number;
  /** The Rust target triple cargo-lambda builds for. */
  readonly rustTarget: string;
  /** The CPU cargo-lambda tunes release builds for. */
  readonly targetCpu: string;
  /** The machine name in wheel tags and GNU triples (`manylinux2014_<machine>`). */
  readonly machine: string;
  /** How LLRT's release assets name it (`llrt-lambda-<llrt>.zip`). */
  readonly llrt: string;
  /** Node's `process.arch` on a host of this architecture. */
  readonly nodeArch: string;
}

export const ARCHITECTURES: Readonly<Record<Architecture, ArchitectureNames>> = {
  arm64: {
    lambda: lambda.Architecture.ARM_64,
    elfMachine: 0xb7,
    rustTarget: 'aarch64-unknown-linux-gnu',
    targetCpu: 'neoverse-n1',
    machine: 'aarch64',
    llrt: 'arm64',
    nodeArch: 'arm64',
  },
  x86_64: {
    lambda: lambda.Architecture.X86_64,
    elfMachine: 0x3e,
    rustTarget: 'x86_64-unknown-linux-gnu',
    targetCpu: 'haswell',
    machine: 'x86_64',
    llrt: 'x64',
    nodeArch: 'x64',
  },
};

/**
 * Maps a Lambda architecture to ours, refusing anything else. `what` names the feature in the message
 * (e.g. 'LLRT').
 */
export function architectureOf(architecture: lambda.Architecture, what?: string): Architecture {
  for (const [name, names] of Object.entries(ARCHITECTURES) as Array<[Architecture, ArchitectureNames]>) {
    if (architecture.name === names.lambda.name) return name;
  }
  throw new Error(`architecture '${architecture.name}' is not supported${what ? ` by ${what}` : ''}; expected arm64 or x86_64 ` +
    '(lambda.Architecture.ARM_64 or lambda.Architecture.X86_64)');
}

/** The architecture this Node.js process runs on, when it is one of Lambda's. */
export function hostArchitecture(): Architecture | undefined {
  return (Object.keys(ARCHITECTURES) as Architecture[]).find(a => ARCHITECTURES[a].nodeArch === process.arch);
}
