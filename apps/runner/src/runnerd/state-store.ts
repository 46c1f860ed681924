import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What runnerd must remember about a container across its own restarts (the engine's labels are immutable). */
export interface ContainerRecord {
  /** Stopped through runctl: stays stopped (unless-stopped, on-failure) until runctl start. */
  stoppedByUser: boolean;
  /** Restarts runnerd made (on-failure:N counts against these). */
  restarts: number;
}

/**
 * A small JSON file in --data-dir, rewritten whole (write to a temporary file, then rename) on every
 * change: a few hundred records at most, changing at human or restart-backoff pace.
 */
export class StateStore {
  readonly file: string;
  #records = new Map<string, ContainerRecord>();
  #writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'containers.json');
  }

  async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = JSON.parse(text) as Record<string, ContainerRecord>;
    this.#records = new Map(Object.entries(parsed));
  }

  get(id: string): ContainerRecord {
    return this.#records.get(id) ?? { stoppedByUser: false, restarts: 0 };
  }

  ids(): string[] {
    return [...this.#records.keys()];
  }

  async update(id: string, change: Partial<ContainerRecord>): Promise<void> {
    this.#records.set(id, { ...this.get(id), ...change });
    await this.#save();
  }

  async delete(id: string): Promise<void> {
    if (this.#records.delete(id)) await this.#save();
  }

  /** Writes one after another, each with the state at its start, so the file ends with the last state. */
  #save(): Promise<void> {
    this.#writing = this.#writing.catch(() => undefined).then(async () => {
      const temporary = `${this.file}.tmp`;
      await writeFile(temporary, JSON.stringify(Object.fromEntries(this.#records), null, 2));
      await rename(temporary, this.file);
    });
    return this.#writing;
  }
}
