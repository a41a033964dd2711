import { LlrtBinaryType } from '../../lib';
import { releaseAssetName } from '../../lib/llrt/store';

describe('names and places', () => {
  test('release asset names follow LLRT\'s releases', () => {
    expect(releaseAssetName('arm64', LlrtBinaryType.STANDARD)).toBe('llrt-lambda-arm64.zip');
    expect(releaseAssetName('x86_64', LlrtBinaryType.NO_SDK)).toBe('llrt-lambda-x64-no-sdk.zip');
    expect(releaseAssetName('arm64', LlrtBinaryType.FULL_SDK)).toBe('llrt-lambda-arm64-full-sdk.zip');
  });
});
