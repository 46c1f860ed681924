import { describe, expect, it } from 'vitest';
import { ErrorCode, StoreError, v2Errors } from './index.js';

describe('v2Errors', () => {
  it('holds every etcd v2 code with its message and HTTP status', () => {
    expect(v2Errors).toEqual({
      100: { message: 'Key not found', status: 404 },
      101: { message: 'Compare failed', status: 412 },
      102: { message: 'Not a file', status: 403 },
      103: { message: 'Reached the max number of peers in the cluster', status: 400 },
      104: { message: 'Not a directory', status: 400 },
      105: { message: 'Key already exists', status: 412 },
      106: { message: 'The prefix of given key is a keyword in etcd', status: 400 },
      107: { message: 'Root is read only', status: 400 },
      108: { message: 'Directory not empty', status: 403 },
      109: { message: 'Peer address has existed', status: 400 },
      110: { message: 'The request requires user authentication', status: 401 },
      200: { message: 'Value is Required in POST form', status: 400 },
      201: { message: 'PrevValue is Required in POST form', status: 400 },
      202: { message: 'The given TTL in POST form is not a number', status: 400 },
      203: { message: 'The given index in POST form is not a number', status: 400 },
      204: { message: 'Value or TTL is required in POST form', status: 400 },
      205: { message: 'The given timeout in POST form is not a number', status: 400 },
      206: { message: 'Name is required in POST form', status: 400 },
      207: { message: 'Index or value is required', status: 400 },
      208: { message: 'Index and value cannot both be specified', status: 400 },
      209: { message: 'Invalid field', status: 400 },
      210: { message: 'Invalid POST form', status: 400 },
      211: { message: 'Value provided on refresh', status: 400 },
      212: { message: 'A TTL must be provided on refresh', status: 400 },
      300: { message: 'Raft Internal Error', status: 500 },
      301: { message: 'During Leader Election', status: 500 },
      400: { message: 'watcher is cleared due to etcd recovery', status: 400 },
      401: { message: 'The event in requested index is outdated and cleared', status: 400 },
      402: { message: 'Standby Internal Error', status: 400 },
      403: { message: 'Invalid active size', status: 400 },
      404: { message: 'Standby remove delay', status: 400 },
      500: { message: 'Client Internal Error', status: 400 },
    });
    for (const code of Object.values(ErrorCode)) expect(v2Errors[code]).toBeDefined();
  });

  it('StoreError serializes like etcd, leaving out an empty cause', () => {
    const e = new StoreError(ErrorCode.KeyNotFound, '/foo', 12);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('Key not found');
    expect(e.statusCode).toBe(404);
    expect(JSON.stringify(e)).toBe('{"errorCode":100,"message":"Key not found","cause":"/foo","index":12}');
    expect(JSON.stringify(new StoreError(ErrorCode.LeaderElect))).toBe('{"errorCode":301,"message":"During Leader Election","index":0}');
    expect(new StoreError(ErrorCode.RaftInternal, 'x').statusCode).toBe(500);
  });
});
