import { createHash } from 'node:crypto';
import { readFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialBootRecord, loadBootRecord, saveBootRecord } from '@minicore/boot-record';
import { ErrorCode } from '@minicore/omaha';
import { describeFile, loadPublicKey, sha256File } from '@minicore/release';
import { downloadPayload } from '../src/updaterd/download.js';
import { keyToPem, performInstall, type InstallJob, type InstallMessage } from '../src/updaterd/install-job.js';
import { ReleaseWorkspace } from './support/harness.js';

/**
 * The install unpacks while it downloads (one pass over the payload). These pin what that must not
 * change: the unpack follows a transfer cut and resumed, starts over from the file when the server
 * answers a resume with the whole payload, and a payload whose damage the download checks cannot
 * see (served with its own sha256) is still rejected by the signed manifest, with nothing left behind.
 */
const work = new ReleaseWorkspace();
let bundle: string;
let bytes: Buffer;
let publicKeyPem: string;

/**
 * A double of update-server's package endpoint: serves `body`, honouring `Range` or not, and cuts
 * the first response after `cutAfter` bytes (a dropped connection).
 */
async function payloadServer(body: Buffer, options: { ranges: boolean; cutAfter?: number }): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  let cut = options.cutAfter !== undefined;
  const server = createServer((request, response) => {
    // A mirror's way: /moved points at the payload.
    if (request.url === '/moved') {
      requests.push('moved');
      response.writeHead(302, { location: '/payload' }).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    requests.push(range ? `range ${range[1]}` : 'whole');
    const start = options.ranges && range ? Number(range[1]) : 0;
    if (start > 0) response.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    else response.writeHead(200, { 'content-length': body.length });
    if (cut) {
      cut = false;
      response.write(body.subarray(start, options.cutAfter), () => response.destroy());
      return;
    }
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/payload`, server, requests };
}

async function freshSlots(name: string): Promise<string> {
  const slots = path.join(work.dir, name);
  await mkdir(slots, { recursive: true });
  await saveBootRecord(slots, initialBootRecord());
  return slots;
}

async function install(slots: string, url: string, payload: Buffer = bytes): Promise<InstallMessage[]> {
  const messages: InstallMessage[] = [];
  const job: InstallJob = {
    urls: [url],
    file: path.join(slots, 'payload'),
    size: payload.length,
    sha256: createHash('sha256').update(payload).digest('base64'),
    slotsDir: slots,
    slot: 'B',
    mark: 'trial',
    publicKeyPem,
  };
  await performInstall(job, (message) => {
    if (message.type !== 'progress') messages.push(message);
  });
  return messages;
}

beforeAll(async () => {
  await work.setup();
  publicKeyPem = keyToPem(await loadPublicKey(`${work.key}.pub`));
  // About 1.5 MB that does not compress: many transfer chunks, many unpack pieces.
  bundle = await work.bundle('4.0.0', 0, 1536 * 1024);
  bytes = await readFile(bundle);
}, 60_000);

afterAll(async () => {
  await work.teardown();
});

async function expectInstalled(slots: string): Promise<void> {
  expect((await sha256File(path.join(slots, 'B/libs/log/dist/noise.txt'))).sha256).toBe((await sha256File(path.join(work.dir, 'tree-4.0.0/libs/log/dist/noise.txt'))).sha256);
  expect(await readFile(path.join(slots, 'B/package.json'), 'utf8')).toContain('"version":"4.0.0"');
  expect((await loadBootRecord(slots)).record.B).toEqual({ priority: 2, tries: 1, successful: false });
  await expect(stat(path.join(slots, 'B.staging'))).rejects.toThrow();
  await expect(stat(path.join(slots, 'payload'))).rejects.toThrow();
}

describe('an install that unpacks while it downloads', () => {
  it('follows a transfer cut in the middle and resumed with a Range request', async () => {
    const { url, server, requests } = await payloadServer(bytes, { ranges: true, cutAfter: 700_000 });
    try {
      const slots = await freshSlots('slots-resumed');
      const messages = await install(slots, url);
      expect(messages.map((m) => m.type)).toEqual(['verifying', 'downloaded', 'installed']);
      expect(messages[1]).toEqual({ type: 'downloaded', resumed: true });
      expect(requests[0]).toBe('whole');
      expect(requests[1]).toMatch(/^range [1-9]\d*$/);
      await expectInstalled(slots);
    } finally {
      server.close();
    }
  });

  it('starts over from the downloaded file when the server answers a resume with the whole payload', async () => {
    const { url, server, requests } = await payloadServer(bytes, { ranges: false, cutAfter: 700_000 });
    try {
      const slots = await freshSlots('slots-restarted');
      const messages = await install(slots, url);
      expect(messages.map((m) => m.type)).toEqual(['verifying', 'downloaded', 'installed']);
      expect(requests).toHaveLength(2);
      await expectInstalled(slots);
    } finally {
      server.close();
    }
  });

  it('rejects a payload damaged inside a file even when its size and sha256 are the server’s, leaving nothing behind', async () => {
    const damaged = Buffer.from(bytes);
    const at = Math.floor(damaged.length * 0.6);
    damaged[at] = damaged[at]! ^ 0x55;
    const { url, server } = await payloadServer(damaged, { ranges: true });
    try {
      const slots = await freshSlots('slots-damaged');
      const before = await loadBootRecord(slots);
      const messages = await install(slots, url, damaged);
      // The download checks pass (the sha256 is of these bytes); the signed manifest's file hashes do not.
      expect(messages.map((m) => m.type)).toEqual(['verifying', 'downloaded', 'failed']);
      const failed = messages[2] as Extract<InstallMessage, { type: 'failed' }>;
      expect([ErrorCode.NewRootfsVerificationError, ErrorCode.DownloadPayloadVerificationError]).toContain(failed.errorCode);
      expect((await loadBootRecord(slots)).record).toEqual(before.record);
      await expect(stat(path.join(slots, 'B'))).rejects.toThrow();
      await expect(stat(path.join(slots, 'B.staging'))).rejects.toThrow();
    } finally {
      server.close();
    }
  });

  it('follows a redirect to the payload', async () => {
    const { url, server, requests } = await payloadServer(bytes, { ranges: true });
    try {
      const slots = await freshSlots('slots-redirected');
      const messages = await install(slots, url.replace(/payload$/, 'moved'));
      expect(messages.map((m) => m.type)).toEqual(['verifying', 'downloaded', 'installed']);
      expect(requests).toEqual(['moved', 'whole']);
      await expectInstalled(slots);
    } finally {
      server.close();
    }
  });

  it('hands the sink every byte in order, the part already on disk first', async () => {
    const { url, server } = await payloadServer(bytes, { ranges: true });
    try {
      const file = path.join(work.dir, 'partial.payload');
      await writeFile(file, bytes.subarray(0, 300_000));
      const received: Buffer[] = [];
      const described = await describeFile(bundle);
      const result = await downloadPayload({
        urls: [url],
        file,
        size: described.size,
        sha256: described.sha256Base64,
        sink: {
          write: async (chunk) => void received.push(Buffer.from(chunk)),
          abandon: () => {
            throw new Error('not expected: the server honours ranges');
          },
        },
      });
      expect(result).toEqual({ resumed: true });
      expect(Buffer.concat(received).equals(bytes)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('goes on downloading and checks the payload when the sink gives up', async () => {
    const { url, server } = await payloadServer(bytes, { ranges: true });
    try {
      const described = await describeFile(bundle);
      let writes = 0;
      const sink = {
        write: async () => {
          writes += 1;
          if (writes === 2) throw new Error('the unpack stopped');
        },
        abandon: () => undefined,
      };
      const file = path.join(work.dir, 'sink-gave-up.payload');
      expect(await downloadPayload({ urls: [url], file, size: described.size, sha256: described.sha256Base64, sink })).toEqual({ resumed: false });
      expect(writes).toBe(2);
      expect((await readFile(file)).equals(bytes)).toBe(true);
    } finally {
      server.close();
    }
  });
});
