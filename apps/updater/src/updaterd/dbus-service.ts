import type { Logger } from '@minicore/log';
import { connectBus, exportUpdateEngine, UpdateEngineError, UpdateEngineErrorName, UpdateStatus, type MessageBus } from '@minicore/update-engine-dbus';
import type { UpdateAgent } from './agent.js';

export interface PublishedAgent {
  bus: MessageBus;
  close(): Promise<void>;
}

/**
 * Puts the agent on D-Bus with update_engine's interface: AttemptUpdate starts an interactive
 * check (ignored unless IDLE, as update_engine does), ResetStatus and GetStatus map to the agent,
 * and every status change goes out as StatusUpdate, the first one right after start-up.
 */
export async function publishAgentOnDbus(agent: UpdateAgent, options: { address: string; logger?: Logger }): Promise<PublishedAgent> {
  const { logger } = options;
  const bus = await connectBus({ address: options.address });
  let exported;
  try {
    exported = await exportUpdateEngine(bus, {
      attemptUpdate: () => {
        if (agent.status !== UpdateStatus.Idle) {
          logger?.info({ status: agent.status }, 'AttemptUpdate ignored: not idle');
          return;
        }
        logger?.info('AttemptUpdate: interactive update check');
        agent
          .checkOnce(true)
          .then((result) => logger?.info({ result, status: agent.status }, 'update check done'))
          .catch((error: unknown) => logger?.error({ err: error }, 'update check crashed'));
      },
      resetStatus: () => {
        if (!agent.resetStatus()) throw new UpdateEngineError(UpdateEngineErrorName.NotResettable, `ResetStatus is only allowed from UPDATE_STATUS_IDLE or UPDATE_STATUS_UPDATED_NEED_REBOOT, not ${agent.status}`);
      },
      getStatus: () => agent.snapshot(),
    });
  } catch (error) {
    bus.disconnect();
    throw error;
  }
  const unsubscribe = agent.onStatus((status) => exported.emitStatus(status));
  exported.emitStatus(agent.snapshot());
  return {
    bus,
    close: async () => {
      unsubscribe();
      await exported.close();
      bus.disconnect();
    },
  };
}
