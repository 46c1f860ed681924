import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';

/** What one WAL record holds: a log entry, the hard state, or a snapshot mark (the log was replaced from that index). */
export type WalRecord = { kind: 'entry'; value: unknown } | { kind: 'hardState'; value: unknown } | { kind: 'snapshot'; value: { index: number; term: number } };

const KIND_BYTE = { entry: 0x65, hardState: 0x68, snapshot: 0x73 } as const; // 'e', 'h', 's'
const KIND_OF_BYTE = new Map<number, WalRecord['kind']>(Object.entries(KIND_BYTE).map(([kind, byte]) => [byte, kind as WalRecord['kind']]));

/** Record header: payload length, then CRC-32 of the payload (both little-endian u32). */
const HEADER_BYTES = 8;
/** A segment is extended with zeros this much at a time, ahead of the records (see WriteAheadLog). */
export const PREALLOCATE_BYTES = 1024 * 1024;
/** Past this size the next write starts a new segment, so that compaction can delete whole files. */
export const SEGMENT_BYTES = 16 * 1024 * 1024;

/** A record as read back, with where it was (for error messages and segment bookkeeping). */
export interface ReadRecord {
  record: WalRecord;
  segment: number;
}

/** The WAL cannot be read as it is; the message names the file and the offset. */
export class WalError extends Error {
  override name = 'WalError';
}

interface Segment {
  seq: number;
  file: string;
  /** Highest entry index written to this segment (0 if none, or once a snapshot mark superseded it). */
  lastEntryIndex: number;
}

/**
 * The Raft log and hard state as an append-only file, the way etcd keeps its WAL: each write is
 * one positioned write of whole records followed by fdatasync, on the calling thread. Segments
 * are filled with zeros ahead of the records (a megabyte at a time), so most syncs find the
 * file's size and blocks unchanged and flush data only, without an ext4 journal commit; and
 * syncing here rather than through the libuv pool (as LevelDB's writes go) saves two thread
 * hand-offs per batch, which on a loaded machine cost more than the sync itself.
 *
 * Records carry a CRC. Reading stops at the first zero header (the unwritten, preallocated
 * part). A damaged record at the very end of the last segment, followed by nothing but zeros,
 * is a write torn by a crash: it was never synced, so never acknowledged, and is erased. Any
 * other damage is an error naming the file and offset.
 */
export class WriteAheadLog {
  private readonly segments: Segment[] = [];
  private fd = -1;
  private position = 0;
  private allocated = 0;
  /** The last hard state written, repeated at the head of each new segment so older ones can be deleted. */
  private lastHardState: unknown;

  private constructor(readonly dir: string) {}

  /** Opens (creating when missing) the WAL directory. Call read() before write(). */
  static open(dir: string): WriteAheadLog {
    if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) syncDirectory(path.dirname(dir));
    return new WriteAheadLog(dir);
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  /** Every record of every segment, in order; leaves the log positioned to append after the last. */
  read(): ReadRecord[] {
    const names = readdirSync(this.dir)
      .filter((name) => /^[0-9a-f]{16}\.wal$/.test(name))
      .sort();
    const out: ReadRecord[] = [];
    names.forEach((name, i) => {
      const seq = Number.parseInt(name.slice(0, 16), 16);
      const file = path.join(this.dir, name);
      const segment: Segment = { seq, file, lastEntryIndex: 0 };
      this.segments.push(segment);
      const { records, end, size } = this.readSegment(file, i === names.length - 1);
      for (const record of records) {
        if (record.kind === 'entry') segment.lastEntryIndex = Math.max(segment.lastEntryIndex, (record.value as { index: number }).index);
        if (record.kind === 'hardState') this.lastHardState = record.value;
        out.push({ record, segment: seq });
      }
      if (i === names.length - 1) {
        this.fd = openSync(file, 'r+');
        this.position = end;
        this.allocated = size;
      }
    });
    return out;
  }

  private readSegment(file: string, last: boolean): { records: WalRecord[]; end: number; size: number } {
    const bytes = readFileSync(file);
    const records: WalRecord[] = [];
    let offset = 0;
    while (offset + HEADER_BYTES <= bytes.length) {
      const length = bytes.readUInt32LE(offset);
      if (length === 0) break;
      const start = offset + HEADER_BYTES;
      const payload = start + length <= bytes.length ? bytes.subarray(start, start + length) : undefined;
      const kind = payload ? KIND_OF_BYTE.get(payload[0] as number) : undefined;
      if (!payload || crc32(payload) !== bytes.readUInt32LE(offset + 4) || kind === undefined) {
        const end = Math.min(bytes.length, start + length);
        if (last && bytes.subarray(end).every((byte) => byte === 0)) {
          // Torn by a crash mid-write: erase it so that a later, shorter record cannot sit before its remains.
          const fd = openSync(file, 'r+');
          try {
            writeSync(fd, Buffer.alloc(end - offset), 0, end - offset, offset);
            fdatasyncSync(fd);
          } finally {
            closeSync(fd);
          }
          return { records, end: offset, size: bytes.length };
        }
        throw new WalError(`${file} is corrupt: the record at offset ${offset} fails its checksum`);
      }
      let value: unknown;
      try {
        value = JSON.parse(payload.subarray(1).toString('utf8'));
      } catch (error) {
        throw new WalError(`${file} is corrupt: the record at offset ${offset} is not JSON (${(error as Error).message})`);
      }
      records.push({ kind, value } as WalRecord);
      offset = start + length;
    }
    return { records, end: offset, size: bytes.length };
  }

  /**
   * Appends the records and, unless `sync` is false, syncs them (and any unsynced ones before
   * them) to disk before returning.
   */
  write(records: readonly WalRecord[], sync = true): void {
    if (records.length === 0) return;
    if (this.fd === -1 || this.position >= SEGMENT_BYTES) this.startSegment();
    const buffer = encode(records);
    for (const record of records) {
      if (record.kind === 'hardState') this.lastHardState = record.value;
      if (record.kind === 'entry') this.current.lastEntryIndex = Math.max(this.current.lastEntryIndex, (record.value as { index: number }).index);
    }
    this.writeAt(buffer);
    if (sync) fdatasyncSync(this.fd);
  }

  /** Starts a new segment now (e.g. before a snapshot mark, so that everything before it sits in older files). */
  startSegment(): void {
    const seq = (this.segments.at(-1)?.seq ?? 0) + 1;
    const file = path.join(this.dir, `${seq.toString(16).padStart(16, '0')}.wal`);
    const fd = openSync(file, 'wx', 0o600);
    writeSync(fd, Buffer.alloc(PREALLOCATE_BYTES));
    fsyncSync(fd);
    syncDirectory(this.dir);
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = fd;
    this.position = 0;
    this.allocated = PREALLOCATE_BYTES;
    this.segments.push({ seq, file, lastEntryIndex: 0 });
    if (this.lastHardState !== undefined) this.writeAt(encode([{ kind: 'hardState', value: this.lastHardState }]));
  }

  /** Marks every segment before the current one as superseded (a snapshot mark in the current one replaced the log). */
  supersedeOlderSegments(): void {
    for (const segment of this.segments.slice(0, -1)) segment.lastEntryIndex = 0;
  }

  /**
   * Deletes the oldest segments while all their entries lie at or below `index` (covered by a
   * durable snapshot). Only a prefix: a newer segment may hold what overrides an older one.
   */
  dropThrough(index: number): void {
    let dropped = false;
    while (this.segments.length > 1 && (this.segments[0] as Segment).lastEntryIndex <= index) {
      rmSync((this.segments.shift() as Segment).file, { force: true });
      dropped = true;
    }
    if (dropped) syncDirectory(this.dir);
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }

  private get current(): Segment {
    return this.segments.at(-1) as Segment;
  }

  private writeAt(buffer: Buffer): void {
    if (this.position + buffer.length > this.allocated) {
      // Zeros ahead of the records: the syncs that follow find the blocks already allocated.
      const grow = Math.max(PREALLOCATE_BYTES, this.position + buffer.length - this.allocated);
      writeSync(this.fd, Buffer.alloc(grow), 0, grow, this.allocated);
      this.allocated += grow;
    }
    let done = 0;
    while (done < buffer.length) done += writeSync(this.fd, buffer, done, buffer.length - done, this.position + done);
    this.position += buffer.length;
  }
}

function encode(records: readonly WalRecord[]): Buffer {
  const payloads = records.map((record) => Buffer.from(`${String.fromCharCode(KIND_BYTE[record.kind])}${JSON.stringify(record.value)}`, 'utf8'));
  const buffer = Buffer.allocUnsafe(payloads.reduce((sum, payload) => sum + HEADER_BYTES + payload.length, 0));
  let offset = 0;
  for (const payload of payloads) {
    buffer.writeUInt32LE(payload.length, offset);
    buffer.writeUInt32LE(crc32(payload), offset + 4);
    payload.copy(buffer, offset + HEADER_BYTES);
    offset += HEADER_BYTES + payload.length;
  }
  return buffer;
}

/** A new or deleted file is durable only once its directory entry is. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
