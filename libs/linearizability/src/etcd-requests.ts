import type { EtcdInput, EtcdOutput } from './etcd-model.js';

// etcd v2's HTTP side of the register model: the request each operation sends, and how an answer
// (or a transport error) becomes the model's output. Shared by every recorder of etcd histories
// (kv's fault tests, the chaos runner), so that all of them judge an answer the same way.

/** How a request ended: a model output, surely no effect (left out of the history), or maybe applied. */
export type Answer = { kind: 'answer'; output: EtcdOutput } | { kind: 'none'; reason: string } | { kind: 'unknown'; reason: string };

export interface EtcdBody {
  node?: { value?: string; modifiedIndex?: number };
  errorCode?: number;
  message?: string;
}

/** The etcd v2 request for a register operation: method, path with query, form body. */
export function requestFor(input: EtcdInput): { method: string; path: string; form?: Record<string, string> } {
  const path = `/v2/keys/${input.key}`;
  switch (input.op) {
    case 'read':
      return { method: 'GET', path: `${path}?quorum=true` };
    case 'write':
      return { method: 'PUT', path, form: { value: input.value } };
    case 'create':
      return { method: 'PUT', path, form: { value: input.value, prevExist: 'false' } };
    case 'cas':
      return { method: 'PUT', path, form: { value: input.value, prevValue: input.expected } };
    case 'delete':
      return { method: 'DELETE', path };
    case 'cad':
      return { method: 'DELETE', path: `${path}?${new URLSearchParams({ prevValue: input.expected }).toString()}` };
  }
}

/**
 * An HTTP answer as the model's output. Only the errors that say "did not apply" are definite
 * (100 not found, 101 compare failed, 105 exists); every other error of a change may have applied
 * (etcd answers 300 when its own wait for the commit timed out). A read has no effect, so a read
 * that failed is simply dropped.
 */
export function interpretAnswer(input: EtcdInput, status: number, body: EtcdBody): Answer {
  const index = typeof body.node?.modifiedIndex === 'number' ? { index: body.node.modifiedIndex } : {};
  if (status >= 200 && status < 300) {
    if (input.op === 'read') return { kind: 'answer', output: { ok: true, value: body.node?.value ?? null, ...index } };
    return { kind: 'answer', output: { ok: true, ...index } };
  }
  const code = body.errorCode;
  if (input.op === 'read') return code === 100 ? { kind: 'answer', output: { ok: true, value: null } } : { kind: 'none', reason: `read: ${status} errorCode ${code}` };
  const definite = input.op === 'write' ? [] : input.op === 'create' ? [105] : input.op === 'delete' ? [100] : [100, 101];
  if (code !== undefined && definite.includes(code)) return { kind: 'answer', output: { ok: false } };
  return { kind: 'unknown', reason: `${status} errorCode ${code}` };
}

/** Errors of the connect phase: the request never left this host. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** A transport error (no HTTP answer): only a failed connect, or any failed read, surely had no effect. */
export function interpretTransportError(input: EtcdInput, code: string | undefined, name: string): Answer {
  if ((code !== undefined && NOT_SENT.has(code)) || input.op === 'read') return { kind: 'none', reason: code ?? name };
  return { kind: 'unknown', reason: code ?? name };
}
