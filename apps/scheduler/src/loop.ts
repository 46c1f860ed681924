/**
 * Runs `work` once now, then every `intervalMs`, and at once (coalesced) whenever `poke()` is
 * called: the shape of fleet's reconcilers (a timer plus kv watch events). Runs never overlap; a
 * failing run is reported and the loop goes on.
 */
export class ReconcileLoop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.poke();
  }

  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.work()
      .catch((error: unknown) => {
        if (!this.#stopped) this.onError(error);
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.poke();
        } else this.#timer = setTimeout(() => this.poke(), this.intervalMs);
      });
  }

  /** Resolves once no run is in progress or asked for (at once when idle). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
