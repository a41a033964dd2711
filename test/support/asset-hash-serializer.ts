/**
 * Jest snapshot serializer that keeps synthesized templates stable: asset hashes (64 hex characters, alone or
 * inside S3 keys such as `<hash>.zip`) change whenever a binary or bundle changes, which is not what a template
 * snapshot is about. They are replaced by a fixed marker.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

function hasHash(value: unknown): value is string {
  return typeof value === 'string' && /[0-9a-f]{64}/.test(value);
}

module.exports = {
  test: (value: unknown) => hasHash(value),
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '[ASSET HASH]')),
};
