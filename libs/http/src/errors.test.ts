import { describe, expect, it } from 'vitest';
import { HttpError, InternalError, defineHttpError, normalizeError, toErrorBody } from './errors.js';

describe('error catalogue', () => {
  it('builds errors that carry a stable code and status', () => {
    const NoSuchThing = defineHttpError('X_NO_THING', 404, (name: string) => `no thing named ${name}`);
    const error = NoSuchThing('a');
    expect(error).toBeInstanceOf(HttpError);
    expect([error.code, error.statusCode, error.message]).toEqual(['X_NO_THING', 404, 'no thing named a']);
    expect([NoSuchThing.code, NoSuchThing.statusCode]).toEqual(['X_NO_THING', 404]);
  });

  it('hides the message of unexpected errors behind a 500', () => {
    const error = normalizeError(new Error('secret stack detail'));
    expect(error.code).toBe(InternalError.code);
    expect(error.message).not.toContain('secret');
  });

  it('keeps the status of client errors that fastify raised', () => {
    const error = normalizeError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }));
    expect([error.statusCode, error.code]).toEqual([415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE']);
  });

  it('renders the JSON body with details only when present', () => {
    expect(toErrorBody(new HttpError('A', 400, 'm'))).toEqual({ error: { code: 'A', message: 'm', statusCode: 400 } });
    expect(toErrorBody(new HttpError('A', 400, 'm', ['x'])).error.details).toEqual(['x']);
  });
});
