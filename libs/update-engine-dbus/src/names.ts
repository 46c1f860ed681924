/**
 * Where updaterd lives on D-Bus. The shape is update_engine's (`com.coreos.update1` at
 * `/com/coreos/update1`, interface `com.coreos.update1.Manager`), under Minicore's own name so that
 * it never collides with a real update_engine on the same bus.
 */
export const UPDATE_ENGINE_BUS_NAME = 'io.minicore.UpdateEngine';
export const UPDATE_ENGINE_OBJECT_PATH = '/io/minicore/UpdateEngine';
export const UPDATE_ENGINE_INTERFACE = 'io.minicore.UpdateEngine.Manager';

/** `(x last_checked_time, d progress, s current_operation, s new_version, x new_size)`: GetStatus's reply and StatusUpdate's body. */
export const STATUS_SIGNATURE = 'xdssx';

/** The members, named once for the service, the client and the bus policy file. */
export const UpdateEngineMember = {
  AttemptUpdate: 'AttemptUpdate',
  ResetStatus: 'ResetStatus',
  GetStatus: 'GetStatus',
  StatusUpdate: 'StatusUpdate',
} as const;

/** D-Bus error names the service answers with; clients match on these, never on the text. */
export const UpdateEngineErrorName = {
  /** ResetStatus outside IDLE and UPDATED_NEED_REBOOT (update_engine refuses it too). */
  NotResettable: `${UPDATE_ENGINE_INTERFACE}.Error.NotResettable`,
  Failed: `${UPDATE_ENGINE_INTERFACE}.Error.Failed`,
} as const;
