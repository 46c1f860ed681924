import { describe, expect, it } from 'vitest';
import { progressFailure, pushedDigest } from './progress.js';

describe('progress messages', () => {
  it('finds the failure the engine reports inside a 200 answer', () => {
    expect(progressFailure([{ status: 'Pulling from x' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }])).toBe('manifest unknown');
    expect(progressFailure([{ error: 'connection refused' }])).toBe('connection refused');
    expect(progressFailure([{ status: 'Digest: sha256:aa' }, { status: 'Status: Downloaded newer image' }])).toBeUndefined();
  });

  it('reads the digest of a push from its aux message, else from its status line', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(pushedDigest([{ status: 'Pushed', id: '1' }, { aux: { Tag: 't', Digest: digest, Size: 527 } }])).toBe(digest);
    expect(pushedDigest([{ status: `t: digest: ${digest} size: 527` }])).toBe(digest);
    expect(pushedDigest([{ status: 'Pushed' }])).toBeUndefined();
  });
});
