import { Agent, request } from 'node:http';

/** Minicore's Omaha application id (the issue's). */
const APP_ID = '{d5014c05-f571-4c69-9e9e-f53e99629675}';

/** An update check as update_engine sends it (research notes §1.2), from one simulated machine. */
export function checkRequest(machineId: string, track: string, version: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<request protocol="3.0" version="update_engine-0.4.10" updaterversion="update_engine-0.4.10" installsource="scheduler" ismachine="1">\n` +
    `    <os version="Chateau" platform="CoreOS" sp="${version}_x86_64"></os>\n` +
    `    <app appid="${APP_ID}" version="${version}" track="${track}" bootid="{${machineId}-boot}" oem="minicore" oemversion="" alephversion="${version}" machineid="${machineId}" lang="en-US" board="minicore" hardware_class="" delta_okay="false" >\n` +
    '        <ping active="1"></ping>\n' +
    '        <updatecheck></updatecheck>\n' +
    '        <event eventtype="3" eventresult="2" previousversion=""></event>\n' +
    '    </app>\n' +
    '</request>\n'
  );
}

export interface CheckinResult {
  checks: number;
  seconds: number;
  perSecond: number;
  /** Checks answered with an update (a grant, or the same grant again). */
  offered: number;
  /** Distinct machines that were offered the update. */
  offeredMachines: number;
  errors: number;
  /** CPU seconds the simulated machines (this process) used: they share the machine with the server. */
  clientCpuSeconds: number;
}

const MANIFEST = Buffer.from('<manifest');

/** One check-in; the answer is kept as bytes (the load generator shares the CPU with the server: it should cost little). */
function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; offered: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'text/xml', 'content-length': body.length } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, offered: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).includes(MANIFEST) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `machines` simulated machines checking in round-robin over `connections` keep-alive connections
 * for `seconds`: every check is a real Omaha request the server registers, accounts against the
 * group's policy and answers.
 */
export async function runCheckins(options: { url: string; track: string; machines: number; connections: number; seconds: number; version: string }): Promise<CheckinResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL('/v1/update/', options.url);
  const bodies = Array.from({ length: options.machines }, (_, i) => Buffer.from(checkRequest(`bench-${String(i).padStart(6, '0')}`, options.track, options.version)));
  const offeredMachines = new Set<number>();
  let next = 0;
  let checks = 0;
  let offered = 0;
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const machine = next++ % options.machines;
      try {
        const answer = await post(agent, url, bodies[machine]!);
        if (answer.status !== 200) errors += 1;
        else {
          checks += 1;
          // Only an offered update carries a manifest.
          if (answer.offered) {
            offered += 1;
            offeredMachines.add(machine);
          }
        }
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return { checks, seconds, perSecond: checks / seconds, offered, offeredMachines: offeredMachines.size, errors, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
