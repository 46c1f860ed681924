import { describe, expect, it } from 'vitest';
import { parseKeysRequest, type KeysMethod, type KeysParams } from './index.js';
import { T0 } from './test-helpers.js';

const parse = (method: KeysMethod, key: string, params: KeysParams = {}) => parseKeysRequest(method, key, params, T0);
const errorOf = (method: KeysMethod, key: string, params: KeysParams) => {
  const r = parse(method, key, params);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return { status: r.error.statusCode, body: r.error.toJSON() };
};

describe('parseKeysRequest', () => {
  it('GET and HEAD read; GET with wait watches', () => {
    expect(parse('GET', '/a//b/', { recursive: 'true', sorted: '1', quorum: 'T' })).toEqual({
      kind: 'read',
      key: '/a/b',
      recursive: true,
      sorted: true,
      quorum: true,
      noValueOnSuccess: false,
    });
    expect(parse('HEAD', '/a', { quorum: 'true' })).toEqual({ kind: 'read', key: '/a', recursive: false, sorted: false, quorum: false, noValueOnSuccess: false });
    expect(parse('GET', '/a', { wait: 'true', recursive: 'true', stream: 'true', waitIndex: '7' })).toEqual({
      kind: 'watch',
      key: '/a',
      recursive: true,
      stream: true,
      sinceIndex: 7,
      noValueOnSuccess: false,
    });
    expect(parse('GET', '', {})).toMatchObject({ kind: 'read', key: '/' });
  });

  it('PUT becomes a set command carrying only the compare fields given', () => {
    expect(parse('PUT', '/k', { value: 'v' })).toEqual({
      kind: 'write',
      command: { op: 'set', key: '/k', value: 'v', dir: false, ttl: null, refresh: false, now: T0 },
      noValueOnSuccess: false,
    });
    expect(parse('PUT', '/k', { value: 'v', ttl: '30', prevValue: 'old', prevIndex: '4', prevExist: 'true', noValueOnSuccess: 'true' })).toEqual({
      kind: 'write',
      command: { op: 'set', key: '/k', value: 'v', dir: false, ttl: 30, refresh: false, prevValue: 'old', prevIndex: 4, prevExist: true, now: T0 },
      noValueOnSuccess: true,
    });
    // prevIndex=0 means "no index compare"; ttl='' means "no TTL".
    expect(parse('PUT', '/k', { prevIndex: '0', ttl: '' })).toMatchObject({ command: { ttl: null, value: '' } });
    expect(parse('PUT', '/k', { prevIndex: '0' })).not.toHaveProperty('command.prevIndex');
    expect(parse('PUT', '/d', { dir: 'true', prevExist: 'false' })).toMatchObject({ command: { dir: true, prevExist: false } });
    expect(parse('PUT', '/k', { refresh: 'true', ttl: '5', prevExist: 'true' })).toMatchObject({ command: { refresh: true, ttl: 5, prevExist: true } });
    expect(parse('PUT', '/k', { refresh: 'true', ttl: '5', value: '' })).toMatchObject({ kind: 'write' });
  });

  it('POST becomes create-in-order, DELETE a delete command', () => {
    expect(parse('POST', '/q', { value: 'job', ttl: '10' })).toEqual({
      kind: 'write',
      command: { op: 'create-in-order', dir: '/q', value: 'job', ttl: 10, now: T0 },
      noValueOnSuccess: false,
    });
    expect(parse('POST', '/q', { dir: 'true' })).toMatchObject({ command: { op: 'create-in-order', isDir: true } });
    expect(parse('DELETE', '/k/', { recursive: 'true', prevValue: 'v', prevIndex: '3' })).toEqual({
      kind: 'write',
      command: { op: 'delete', key: '/k', dir: false, recursive: true, prevValue: 'v', prevIndex: 3, now: T0 },
      noValueOnSuccess: false,
    });
  });

  it('uses the first value of a repeated parameter, like Go', () => {
    expect(parse('PUT', '/k', { value: ['a', 'b'], ttl: ['5', 'x'] })).toMatchObject({ command: { value: 'a', ttl: 5 } });
  });

  it('accepts Go strconv.ParseBool spellings only', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parse('GET', '/k', { recursive: t })).toMatchObject({ recursive: true });
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parse('GET', '/k', { recursive: f })).toMatchObject({ recursive: false });
    for (const bad of ['yes', 'tRUE', '', ' true']) expect(parse('GET', '/k', { recursive: bad })).toMatchObject({ kind: 'error' });
  });

  it('validates in etcd\'s order with etcd\'s codes and causes', () => {
    const err = (errorCode: number, message: string, cause: string) => ({ status: 400, body: { errorCode, message, cause, index: 0 } });
    const nan = 'The given index in POST form is not a number';
    expect(errorOf('PUT', '/k', { prevIndex: 'abc', waitIndex: 'x', ttl: 'x' })).toEqual(err(203, nan, 'invalid value for "prevIndex"'));
    expect(errorOf('PUT', '/k', { prevIndex: '' })).toEqual(err(203, nan, 'invalid value for "prevIndex"'));
    expect(errorOf('PUT', '/k', { prevIndex: '-1' })).toEqual(err(203, nan, 'invalid value for "prevIndex"'));
    expect(errorOf('PUT', '/k', { prevIndex: '18446744073709551616' })).toEqual(err(203, nan, 'invalid value for "prevIndex"'));
    expect(parse('PUT', '/k', { prevIndex: '18446744073709551615' }).kind).toBe('write');
    expect(errorOf('GET', '/k', { waitIndex: 'x', wait: 'true' })).toEqual(err(203, nan, 'invalid value for "waitIndex"'));
    for (const name of ['recursive', 'sorted', 'wait', 'dir', 'quorum', 'stream']) {
      expect(errorOf('GET', '/k', { [name]: 'x' })).toEqual(err(209, 'Invalid field', `invalid value for "${name}"`));
    }
    expect(errorOf('PUT', '/k', { wait: 'true' })).toEqual(err(209, 'Invalid field', '"wait" can only be used with GET requests'));
    expect(errorOf('HEAD', '/k', { wait: 'true' })).toEqual(err(209, 'Invalid field', '"wait" can only be used with GET requests'));
    expect(errorOf('PUT', '/k', { prevValue: '' })).toEqual(err(201, 'PrevValue is Required in POST form', '"prevValue" cannot be empty'));
    expect(errorOf('PUT', '/k', { noValueOnSuccess: 'x' })).toEqual(err(209, 'Invalid field', 'invalid value for "noValueOnSuccess"'));
    const ttlNaN = err(202, 'The given TTL in POST form is not a number', 'invalid value for "ttl"');
    for (const ttl of ['abc', '-1', '+5', '1.5', ' 5']) expect(errorOf('PUT', '/k', { ttl })).toEqual(ttlNaN);
    expect(errorOf('GET', '/k', { ttl: 'abc' })).toEqual(ttlNaN);
    expect(errorOf('PUT', '/k', { prevExist: 'maybe' })).toEqual(err(209, 'Invalid field', 'invalid value for prevExist'));
    expect(errorOf('PUT', '/k', { prevExist: '' })).toEqual(err(209, 'Invalid field', 'invalid value for prevExist'));
    expect(errorOf('PUT', '/k', { refresh: 'maybe' })).toEqual(err(209, 'Invalid field', 'invalid value for refresh'));
    expect(errorOf('PUT', '/k', { refresh: 'true', value: 'v', ttl: '5' })).toEqual(err(211, 'Value provided on refresh', 'A value was provided on a refresh'));
    expect(errorOf('PUT', '/k', { refresh: 'true' })).toEqual(err(212, 'A TTL must be provided on refresh', 'No TTL value set'));
    expect(errorOf('PUT', '/k', { refresh: 'true', ttl: '' })).toEqual(err(212, 'A TTL must be provided on refresh', 'No TTL value set'));
  });
});
