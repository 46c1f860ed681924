import { OperationError } from '@minicore/cli';
import type { MachineJson, UnitJson } from '@minicore/fleet-api';
import { AgentClient, AgentUnreachableError, type AgentUnitStatus } from './agent-client.js';
import type { FleetClient } from './fleet-client.js';
import { isGlobal } from './unit-args.js';

/** fleetctl's refusals, which differ between `status` and `journal`. */
export interface RefusalMessages {
  global: (name: string) => string;
  inactive: (name: string) => string;
}

export const statusRefusals: RefusalMessages = {
  global: (name) => `Unable to determine status of global unit ${name}.`,
  inactive: (name) => `Unit ${name} does not appear to be loaded.`,
};

export const journalRefusals: RefusalMessages = {
  global: (name) => `Unable to retrieve journal of global unit ${name}.`,
  inactive: (name) => `Unit ${name} does not appear to be running.`,
};

export interface UnitOwner {
  name: string;
  unit: UnitJson;
  machineId: string;
}

/** The machine whose agent runs the unit, from fleet's API: the unit, then the state its agent published (GET /state). */
export async function findOwner(api: FleetClient, name: string, refusals: RefusalMessages): Promise<UnitOwner> {
  const unit = await api.unit(name);
  if (!unit) throw new OperationError(`Unit ${name} does not exist.`);
  if (isGlobal(unit)) throw new OperationError(refusals.global(name));
  if (unit.currentState === 'inactive' || unit.currentState === undefined) throw new OperationError(`${refusals.inactive(name)} ${notScheduledHint(unit)}`);
  const states = await api.states({ unitName: name });
  const machineId = (states.find((state) => state.machineID === unit.machineID) ?? states[0])?.machineID ?? unit.machineID;
  if (!machineId) throw new OperationError(`${refusals.inactive(name)} It is not scheduled on any machine.`);
  return { name, unit, machineId };
}

function notScheduledHint(unit: UnitJson): string {
  if (unit.desiredState === 'inactive' || unit.desiredState === undefined) return `(desired state inactive: schedctl start ${unit.name})`;
  if (!unit.machineID) return `(desired state ${unit.desiredState}, but it is not scheduled on any machine: no machine satisfies its [X-Fleet] constraints, or the engine has not placed it yet)`;
  return `(scheduled on ${unit.machineID}, whose agent has not reported it yet)`;
}

/** Where a machine's agent API answers: its public IP, on the port every schedulerd of the cluster listens on. */
export function agentAddress(machine: MachineJson, port: number): string | undefined {
  const ip = machine.primaryIP;
  if (!ip) return undefined;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** The port of the schedulerd schedctl talks to (all machines' schedulerd listen alike), else schedulerd's default. */
export function defaultAgentPort(endpoint: string): number {
  if (!/^https?:\/\//.test(endpoint)) return 4002;
  const port = new URL(endpoint).port;
  return port ? Number(port) : 4002;
}

export interface ReachedAgent {
  agent: AgentClient;
  status: AgentUnitStatus;
  machine: MachineJson;
}

/**
 * Asks the owner's agent for the unit's status: the machine registry (GET /machines) gives its
 * public IP. When nothing answers there, the schedulerd schedctl talks to may itself be the owner,
 * listening where its public IP does not lead (one machine on loopback): it is used when it says so.
 */
export async function reachAgent(api: FleetClient, owner: UnitOwner, port: number): Promise<ReachedAgent> {
  const { name, machineId } = owner;
  const machine = (await api.machines()).find((candidate) => candidate.id === machineId);
  if (!machine) throw new OperationError(`Unit ${name} is on machine ${machineId}, which is not registered in the cluster any more (down? its presence key expired).`);
  const address = agentAddress(machine, port);
  if (!address) throw new OperationError(`Machine ${machineId} registered no public IP: its agent cannot be reached.`);
  const direct = new AgentClient(address);
  let status: AgentUnitStatus | undefined;
  try {
    status = await direct.status(name);
  } catch (error) {
    if (!(error instanceof AgentUnreachableError)) throw error;
    const local = new AgentClient(api.endpoint);
    const here = await local.status(name).catch(() => undefined);
    if (here?.machineID === machineId) return { agent: local, status: here, machine };
    throw new OperationError(`Machine ${machineId}'s agent unreachable at ${address} (${(error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message}): is its schedulerd running and listening there? (--agent-port sets the port)`, undefined, { cause: error });
  }
  if (!status) throw new OperationError(`Machine ${machineId}'s agent at ${address} does not have unit ${name} loaded (yet): retry in a moment.`);
  if (status.machineID !== machineId) throw new OperationError(`The agent at ${address} is machine ${status.machineID}, not ${machineId} where unit ${name} is scheduled.`);
  return { agent: direct, status, machine };
}
