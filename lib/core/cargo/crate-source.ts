import * as fs from 'fs';
import * as path from 'path';
import { stageDirectory } from '../cache';

/** Marks a complete crate source in the cache; holds where it came from. */
export const SOURCE_MARKER = '.rustacean-lambda-source';

/** The folder of a complete crate source in the cache, or undefined. */
export function cachedCrateSource(crateDir: string): string | undefined {
  return fs.existsSync(path.join(crateDir, SOURCE_MARKER)) ? crateDir : undefined;
}

/**
 * A crate's source as a standalone Cargo package in a cache folder (LLRT, the Web Adapter): `fill` puts the
 * package into a temporary folder, which gets a `[workspace]` table of its own (so it builds alone even when the
 * cache lies inside someone's Cargo workspace) and a marker saying `origin`, and is then renamed into place, so the
 * cache holds a complete copy or none. Another process that finished first wins.
 */
export function stageCrateSource(crateDir: string, origin: string, fill: (staging: string) => void): string {
  const cached = cachedCrateSource(crateDir);
  if (cached) return cached;
  return stageDirectory(crateDir, staging => {
    fill(staging);
    const manifest = path.join(staging, 'Cargo.toml');
    const text = fs.readFileSync(manifest, 'utf-8');
    if (!/^\[workspace\]/m.test(text)) fs.writeFileSync(manifest, `${text.trimEnd()}\n\n[workspace]\n`);
    fs.writeFileSync(path.join(staging, SOURCE_MARKER), `${origin}\n`);
  }, { tmpPrefix: '.source-', complete: d => cachedCrateSource(d) !== undefined });
}
