import { Architecture, ARCHITECTURES } from '../arch';

/**
 * The optimisation presets, by value: `OptimizationPreset` (lib/rust) is the public enum of these strings, and
 * every family passes its value here.
 */
export type Preset = 'size' | 'balanced' | 'speed' | 'none';

/** Every preset, in the order messages list them. */
export const PRESETS: readonly Preset[] = ['size', 'balanced', 'speed', 'none'];

/** Throws, naming the presets, unless `value` is one of them. */
export function checkPreset(value: string): Preset {
  if (!(PRESETS as readonly string[]).includes(value)) {
    throw new Error(`optimization '${value}' is unknown; expected one of ${PRESETS.join(', ')}`);
  }
  return value as Preset;
}

/**
 * Build environment for a preset: `CARGO_PROFILE_<NAME>_*` settings, plus the target CPU cargo-lambda would have
 * chosen (only when nothing else sets rustflags, so user flags are never dropped). The `dev` profile is left
 * alone: it is for fast builds.
 */
export function presetEnvironment(
  profile: string, preset: Preset, architecture: Architecture, userEnv: Record<string, string | undefined> = {},
): Record<string, string> {
  if (preset === 'none' || profile === 'dev') return {};
  const prefix = `CARGO_PROFILE_${profile.toUpperCase().replace(/-/g, '_')}_`;
  const optLevel = { size: 'z', balanced: 's', speed: '3' }[preset];
  const env: Record<string, string> = {
    [`${prefix}OPT_LEVEL`]: optLevel,
    [`${prefix}LTO`]: 'fat',
    [`${prefix}CODEGEN_UNITS`]: '1',
    [`${prefix}PANIC`]: 'abort',
    [`${prefix}STRIP`]: 'symbols',
    [`${prefix}DEBUG`]: 'false',
  };
  const targetFlagsVar = `CARGO_TARGET_${ARCHITECTURES[architecture].rustTarget.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`;
  const userFlags = ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', targetFlagsVar].some(v => userEnv[v] !== undefined);
  if (!userFlags) env[targetFlagsVar] = `-C target-cpu=${ARCHITECTURES[architecture].targetCpu}`;
  return env;
}

