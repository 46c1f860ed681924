import type { EtcdInput } from '@minicore/linearizability';
import { interpretAnswer, interpretTransportError, requestFor, type Answer, type EtcdBody } from '@minicore/linearizability';

/** The Node error code behind a failed fetch (undici wraps it in `cause`). */
export function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as { code?: string }).code;
}

/** Sends one register operation to one kvd (plain HTTP, etcd v2 keys API) and says how it ended. */
export async function perform(kvUrl: string, input: EtcdInput, timeoutMs: number, extraForm: Record<string, string> = {}): Promise<Answer & { body?: EtcdBody }> {
  const { method, path, form } = requestFor(input);
  let response: Response;
  try {
    const body = form ? new URLSearchParams({ ...form, ...extraForm }) : undefined;
    response = await fetch(`${kvUrl}${path}`, { method, ...(body ? { body } : {}), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return interpretTransportError(input, errorCode(error), (error as Error).name);
  }
  let body: EtcdBody;
  try {
    body = (await response.json()) as EtcdBody;
  } catch (error) {
    return input.op === 'read' ? { kind: 'none', reason: `bad body ${response.status}` } : { kind: 'unknown', reason: `bad body ${response.status}: ${(error as Error).name}` };
  }
  return { ...interpretAnswer(input, response.status, body), body };
}

/** A quorum GET of a directory, recursive: key -> value of every leaf, or undefined when it failed. */
export async function readTree(kvUrl: string, dir: string, timeoutMs: number): Promise<Map<string, string> | undefined> {
  try {
    const response = await fetch(`${kvUrl}/v2/keys/${dir}?recursive=true&quorum=true`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as { node?: TreeNode; errorCode?: number };
    if (response.status === 404 && body.errorCode === 100) return new Map();
    if (!response.ok || !body.node) return undefined;
    const leaves = new Map<string, string>();
    const walk = (node: TreeNode) => {
      if (node.dir) for (const child of node.nodes ?? []) walk(child);
      else leaves.set(node.key.replace(/^\//, ''), node.value ?? '');
    };
    walk(body.node);
    return leaves;
  } catch {
    return undefined;
  }
}

interface TreeNode {
  key: string;
  value?: string;
  dir?: boolean;
  nodes?: TreeNode[];
}
