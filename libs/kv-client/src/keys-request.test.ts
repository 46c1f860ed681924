import { describe, expect, it } from 'vitest';
import { KvInvalidArgumentError } from './errors.js';
import { keyPath } from './key-path.js';
import { createInOrderRequest, deleteRequest, getRequest, setRequest, waitRequest } from './keys-request.js';

describe('keyPath', () => {
  it('adds the leading slash, collapses empty segments and encodes each segment on its own', () => {
    expect(keyPath('foo')).toBe('/v2/keys/foo');
    expect(keyPath('/a//b/')).toBe('/v2/keys/a/b');
    expect(keyPath('/dir/a b?c#d%e&f=g')).toBe('/v2/keys/dir/a%20b%3Fc%23d%25e%26f%3Dg');
    expect(keyPath('/')).toBe('/v2/keys/');
  });

  it('refuses dot segments and NUL bytes before sending anything', () => {
    expect(() => keyPath('/a/../b')).toThrow(KvInvalidArgumentError);
    expect(() => keyPath('/a\0')).toThrow(expect.objectContaining({ code: 'KV_ERR_INVALID_ARGUMENT' }));
  });
});

describe('keys requests', () => {
  it('reads with recursive, sorted and quorum only when asked', () => {
    expect(getRequest('/a').query.toString()).toBe('');
    expect(getRequest('/a', { recursive: true, sorted: true, quorum: true }).query.toString()).toBe('recursive=true&sorted=true&quorum=true');
  });

  it('puts the value in a form body and the conditions in the query, like etcd\'s Go client', () => {
    const request = setRequest('/a', 'x y&z', { ttl: 5, prevValue: 'old', prevIndex: 7, prevExist: true });
    expect(request.method).toBe('PUT');
    expect(request.form?.toString()).toBe('value=x+y%26z');
    expect(Object.fromEntries(request.query)).toEqual({ ttl: '5', prevValue: 'old', prevIndex: '7', prevExist: 'true' });
  });

  it('sends no value for a refresh or a directory, and an empty ttl to remove a TTL', () => {
    expect(setRequest('/a', undefined, { ttl: 3, refresh: true, prevExist: true }).form).toBeUndefined();
    expect(setRequest('/a', undefined, { ttl: 3, refresh: true, prevExist: true }).query.toString()).toBe('ttl=3&prevExist=true&refresh=true');
    expect(setRequest('/d', 'ignored', { dir: true, prevExist: false }).form).toBeUndefined();
    expect(setRequest('/a', 'v', { ttl: null }).query.toString()).toBe('ttl=');
  });

  it('builds watches, in-order creates and deletes', () => {
    expect(waitRequest('/a', { recursive: true, waitIndex: 12 }).query.toString()).toBe('wait=true&recursive=true&waitIndex=12');
    expect(createInOrderRequest('/q', 'job', { ttl: 9 })).toMatchObject({ method: 'POST', path: '/v2/keys/q' });
    expect(createInOrderRequest('/q', 'job').form?.toString()).toBe('value=job');
    expect(deleteRequest('/d', { recursive: true, dir: true, prevValue: 'v', prevIndex: 3 }).query.toString()).toBe('recursive=true&dir=true&prevValue=v&prevIndex=3');
  });
});
