/** Resolves after `ms`, or at once when `signal` aborts (never rejects: callers check the signal). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An AbortController that also aborts when `parent` does. `dispose()` unhooks it from the parent. */
export function linkedController(parent?: AbortSignal): AbortController & { dispose(): void } {
  const controller = new AbortController() as AbortController & { dispose(): void };
  const forward = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', forward, { once: true });
  controller.dispose = () => parent?.removeEventListener('abort', forward);
  return controller;
}
