import { describe, expect, it } from 'vitest';
import { interpretAnswer, interpretTransportError, requestFor } from './etcd-requests.js';

describe('requestFor', () => {
  it('maps each register operation to its etcd v2 request', () => {
    expect(requestFor({ op: 'read', key: 'chaos/r/k1' })).toEqual({ method: 'GET', path: '/v2/keys/chaos/r/k1?quorum=true' });
    expect(requestFor({ op: 'cas', key: 'k', expected: 'a', value: 'b' })).toEqual({ method: 'PUT', path: '/v2/keys/k', form: { value: 'b', prevValue: 'a' } });
    expect(requestFor({ op: 'cad', key: 'k', expected: 'a b' })).toEqual({ method: 'DELETE', path: '/v2/keys/k?prevValue=a+b' });
    expect(requestFor({ op: 'create', key: 'k', value: 'v' }).form).toEqual({ value: 'v', prevExist: 'false' });
  });
});

describe('interpretAnswer', () => {
  it('turns successes into outputs with the modifiedIndex', () => {
    expect(interpretAnswer({ op: 'read', key: 'k' }, 200, { node: { value: 'v', modifiedIndex: 9 } })).toEqual({ kind: 'answer', output: { ok: true, value: 'v', index: 9 } });
    expect(interpretAnswer({ op: 'write', key: 'k', value: 'v' }, 201, { node: { value: 'v', modifiedIndex: 10 } })).toEqual({ kind: 'answer', output: { ok: true, index: 10 } });
  });

  it('treats only "did not apply" errors as definite failures', () => {
    expect(interpretAnswer({ op: 'read', key: 'k' }, 404, { errorCode: 100 })).toEqual({ kind: 'answer', output: { ok: true, value: null } });
    expect(interpretAnswer({ op: 'cas', key: 'k', expected: 'a', value: 'b' }, 412, { errorCode: 101 })).toEqual({ kind: 'answer', output: { ok: false } });
    expect(interpretAnswer({ op: 'create', key: 'k', value: 'b' }, 412, { errorCode: 105 })).toEqual({ kind: 'answer', output: { ok: false } });
    expect(interpretAnswer({ op: 'delete', key: 'k' }, 404, { errorCode: 100 })).toEqual({ kind: 'answer', output: { ok: false } });
    // A commit wait that timed out may still commit.
    expect(interpretAnswer({ op: 'write', key: 'k', value: 'v' }, 500, { errorCode: 300 }).kind).toBe('unknown');
    expect(interpretAnswer({ op: 'create', key: 'k', value: 'v' }, 404, { errorCode: 100 }).kind).toBe('unknown');
    // A read that failed changed nothing.
    expect(interpretAnswer({ op: 'read', key: 'k' }, 500, { errorCode: 300 }).kind).toBe('none');
  });

  it('says a failed connect or a failed read had no effect, and anything else may have', () => {
    expect(interpretTransportError({ op: 'write', key: 'k', value: 'v' }, 'ECONNREFUSED', 'TypeError').kind).toBe('none');
    expect(interpretTransportError({ op: 'write', key: 'k', value: 'v' }, undefined, 'TimeoutError')).toEqual({ kind: 'unknown', reason: 'TimeoutError' });
    expect(interpretTransportError({ op: 'read', key: 'k' }, 'ECONNRESET', 'TypeError').kind).toBe('none');
    expect(interpretTransportError({ op: 'cas', key: 'k', expected: 'a', value: 'b' }, 'EHOSTUNREACH', 'TypeError').kind).toBe('none');
    expect(interpretTransportError({ op: 'cas', key: 'k', expected: 'a', value: 'b' }, 'ECONNRESET', 'TypeError').kind).toBe('unknown');
  });
});
