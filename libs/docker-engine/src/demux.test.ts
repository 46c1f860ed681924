import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputDemuxer, encodeFrame, type OutputChunk } from './demux.js';

async function demux(pieces: Buffer[]): Promise<{ stream: string; text: string }[]> {
  const chunks: OutputChunk[] = [];
  for await (const chunk of Readable.from(pieces).pipe(new OutputDemuxer())) chunks.push(chunk as OutputChunk);
  return chunks.map((chunk) => ({ stream: chunk.stream, text: chunk.data.toString() }));
}

describe('OutputDemuxer', () => {
  it('splits stdout and stderr frames', async () => {
    const wire = Buffer.concat([encodeFrame({ stream: 'stdout', data: Buffer.from('out\n') }), encodeFrame({ stream: 'stderr', data: Buffer.from('err\n') })]);
    expect(await demux([wire])).toEqual([
      { stream: 'stdout', text: 'out\n' },
      { stream: 'stderr', text: 'err\n' },
    ]);
  });

  it('reassembles frames cut at every possible byte', async () => {
    const wire = Buffer.concat([encodeFrame({ stream: 'stdout', data: Buffer.from('hello') }), encodeFrame({ stream: 'stderr', data: Buffer.from('world!') })]);
    for (let cut = 1; cut < wire.length; cut++) {
      expect(await demux([wire.subarray(0, cut), wire.subarray(cut)])).toEqual([
        { stream: 'stdout', text: 'hello' },
        { stream: 'stderr', text: 'world!' },
      ]);
    }
  });

  it('drops stdin echo frames and keeps a truncated last frame', async () => {
    const stdin = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('in')]);
    const truncated = encodeFrame({ stream: 'stderr', data: Buffer.from('partial line') }).subarray(0, 12);
    expect(await demux([stdin, truncated])).toEqual([{ stream: 'stderr', text: 'part' }]);
  });
});
