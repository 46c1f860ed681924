import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, exportUpdateEngine, idleStatus, UpdateEngineClient, UPDATE_ENGINE_BUS_NAME, UPDATE_ENGINE_INTERFACE, UPDATE_ENGINE_OBJECT_PATH, type ExportedUpdateEngine, type MessageBus } from '@minicore/update-engine-dbus';
import { dbusAvailable, startPrivateBus, type PrivateBus } from '@minicore/update-engine-dbus/testing';

const POLICY = path.resolve(import.meta.dirname, '../dbus/io.minicore.UpdateEngine.conf');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** A bus configured like Debian's system bus (deny by default), with updaterd's policy file included. */
function systemLikeConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>${POLICY}</include>
</busconfig>
`;
}

/** Calls GetStatus and tries to own the name as another user, with dbus-next in a child process. */
const probe = `
const dbus = require(process.argv[2]);
const bus = dbus.sessionBus({ busAddress: process.argv[3] });
bus.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(2); });
(async () => {
  const out = {};
  const call = new dbus.Message({ destination: ${JSON.stringify(UPDATE_ENGINE_BUS_NAME)}, path: ${JSON.stringify(UPDATE_ENGINE_OBJECT_PATH)}, interface: ${JSON.stringify(UPDATE_ENGINE_INTERFACE)}, member: 'GetStatus' });
  try { await bus.call(call); out.call = 'allowed'; } catch (e) { out.call = e.type; }
  try { await bus.requestName('io.minicore.UpdateEngine', 4); out.own = 'allowed'; } catch (e) { out.own = e.type; }
  console.log(JSON.stringify(out));
  bus.disconnect();
})();
`;

let dir = '';
let bus: PrivateBus | undefined;
let serviceBus: MessageBus | undefined;
let exported: ExportedUpdateEngine | undefined;

beforeAll(async () => {
  if (!dbusAvailable || !asRoot) return;
  dir = await mkdtemp(path.join(tmpdir(), 'updater-dbus-policy-'));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'system.conf'), systemLikeConfig(path.join(dir, 'bus')));
  await writeFile(path.join(dir, 'probe.cjs'), probe);
  await chmod(path.join(dir, 'probe.cjs'), 0o644);
  bus = await startPrivateBus({ configFile: path.join(dir, 'system.conf') });
  serviceBus = await connectBus({ address: bus.address });
  exported = await exportUpdateEngine(serviceBus, { attemptUpdate: () => undefined, resetStatus: () => undefined, getStatus: () => idleStatus });
});

afterAll(async () => {
  await exported?.close();
  serviceBus?.disconnect();
  await bus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!asRoot)('the bus policy file (needs root to act as another user)', () => {
  it('lets root own the name and call it', async () => {
    const client = await UpdateEngineClient.connect({ address: bus!.address });
    try {
      expect(await client.getStatus()).toEqual(idleStatus);
    } finally {
      client.close();
    }
  });

  it('denies every other user both calling and owning it', async () => {
    const dbusNext = createRequire(import.meta.url).resolve('dbus-next');
    const child = spawn(process.execPath, [path.join(dir, 'probe.cjs'), dbusNext, bus!.address], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ call: 'org.freedesktop.DBus.Error.AccessDenied', own: 'org.freedesktop.DBus.Error.AccessDenied' });
  });
});
