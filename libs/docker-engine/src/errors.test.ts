import { describe, expect, it } from 'vitest';
import { EngineConflictError, EngineError, EngineNotFoundError, EngineUnreachableError, toEngineError } from './errors.js';

describe('toEngineError', () => {
  it('names the socket when the engine cannot be reached', () => {
    const error = toEngineError(Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT' }), '/x.sock');
    expect(error).toBeInstanceOf(EngineUnreachableError);
    expect(error.message).toBe('Docker engine unreachable at /x.sock: no such socket (is dockerd running?)');
  });

  it('keeps the engine message for 404 and 409', () => {
    const notFound = toEngineError({ statusCode: 404, json: { message: 'No such image: nope:latest' } }, '/s');
    expect(notFound).toBeInstanceOf(EngineNotFoundError);
    expect(notFound.message).toBe('No such image: nope:latest');
    expect(toEngineError({ statusCode: 409, json: { message: 'name in use' } }, '/s')).toBeInstanceOf(EngineConflictError);
  });

  it('reports other statuses with their code', () => {
    const error = toEngineError({ statusCode: 500, reason: 'server error', json: null }, '/s');
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toBe('engine answered 500: server error');
  });
});
