import { describe, expect, it } from 'vitest';
import { KvError, KvHttpError, KvResponseError } from './errors.js';
import type { KvHttpAnswer } from './http-transport.js';
import { parseJsonAnswer, parseKeysAnswer } from './response.js';

function answer(status: number, body: string, headers: Record<string, string> = {}): KvHttpAnswer {
  return { endpoint: 'http://127.0.0.1:2379', status, body, headers: new Headers(headers) };
}

describe('parseKeysAnswer', () => {
  it('returns etcd\'s body with the index headers', () => {
    const response = parseKeysAnswer(
      answer(201, '{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}', {
        'X-Etcd-Index': '4',
        'X-Raft-Index': '6',
        'X-Raft-Term': '2',
        'X-Etcd-Cluster-Id': 'd1cfaf999eb97a2a',
      }),
    );
    expect(response).toEqual({
      action: 'set',
      node: { key: '/foo', value: 'bar', modifiedIndex: 4, createdIndex: 4 },
      etcdIndex: 4,
      raftIndex: 6,
      raftTerm: 2,
      clusterId: 'd1cfaf999eb97a2a',
    });
  });

  it('names the root directory, which etcd sends without a key', () => {
    expect(parseKeysAnswer(answer(200, '{"action":"get","node":{"dir":true}}', { 'X-Etcd-Index': '9' })).node).toEqual({ key: '/', dir: true, createdIndex: 0, modifiedIndex: 0 });
  });

  it('turns an etcd error document into a KvError with exactly etcd\'s fields', () => {
    const body = '{"errorCode":100,"message":"Key not found","cause":"/foo","index":12}';
    const error = (() => {
      try {
        parseKeysAnswer(answer(404, body));
      } catch (caught) {
        return caught;
      }
    })() as KvError;
    expect(error).toBeInstanceOf(KvError);
    expect(error).toMatchObject({ code: 'KV_ERR_ETCD', errorCode: 100, message: 'Key not found', cause: '/foo', index: 12, statusCode: 404 });
    expect(error.toString()).toBe('100: Key not found (/foo) [12]');
    expect(JSON.stringify(error)).toBe(body);
  });

  it('reports the 401 "index cleared" error that etcd sends with HTTP 400', () => {
    expect(() =>
      parseKeysAnswer(answer(400, '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [104/2]","index":1103}')),
    ).toThrow(expect.objectContaining({ errorCode: 401, statusCode: 400, index: 1103 }));
  });

  it('tells a non-etcd error page and a garbled success apart', () => {
    expect(() => parseKeysAnswer(answer(502, 'Bad Gateway'))).toThrow(KvHttpError);
    expect(() => parseKeysAnswer(answer(200, '<html>'))).toThrow(KvResponseError);
  });
});

describe('parseJsonAnswer', () => {
  it('reads members API bodies, 204s, and its {"message"} errors', () => {
    expect(parseJsonAnswer(answer(200, '{"members":[]}'))).toEqual({ members: [] });
    expect(parseJsonAnswer(answer(204, ''))).toBeUndefined();
    expect(() => parseJsonAnswer(answer(409, '{"message":"membership: peerURL exists"}'))).toThrow(
      expect.objectContaining({ name: 'KvHttpError', code: 'KV_ERR_HTTP', message: 'membership: peerURL exists', statusCode: 409 }),
    );
  });
});
