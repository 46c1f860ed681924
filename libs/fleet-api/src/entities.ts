import { Type, type Static } from 'typebox';

/** fleet's states: known but not scheduled, loaded into the machine's init system, started. */
export const desiredStates = ['inactive', 'loaded', 'launched'] as const;
export type DesiredState = (typeof desiredStates)[number];

export function isDesiredState(value: unknown): value is DesiredState {
  return typeof value === 'string' && (desiredStates as readonly string[]).includes(value);
}

export const UnitOptionSchema = Type.Object({
  section: Type.String(),
  name: Type.String(),
  // fleet omits empty values (omitempty): an option without "value" means "".
  value: Type.Optional(Type.String()),
});
export type UnitOptionJson = Static<typeof UnitOptionSchema>;

/** A unit as fleet's API carries it; every field is omitted when empty. */
export const UnitSchema = Type.Object({
  name: Type.Optional(Type.String()),
  options: Type.Optional(Type.Array(UnitOptionSchema)),
  desiredState: Type.Optional(Type.String()),
  currentState: Type.Optional(Type.String()),
  machineID: Type.Optional(Type.String()),
});
export type UnitJson = Static<typeof UnitSchema>;

export const UnitStateSchema = Type.Object({
  name: Type.String(),
  hash: Type.Optional(Type.String()),
  machineID: Type.Optional(Type.String()),
  systemdLoadState: Type.Optional(Type.String()),
  systemdActiveState: Type.Optional(Type.String()),
  systemdSubState: Type.Optional(Type.String()),
});
export type UnitStateJson = Static<typeof UnitStateSchema>;

export const MachineSchema = Type.Object({
  id: Type.String(),
  primaryIP: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type MachineJson = Static<typeof MachineSchema>;

export const UnitPageSchema = Type.Object({ units: Type.Optional(Type.Array(UnitSchema)), nextPageToken: Type.Optional(Type.String()) });
export type UnitPage = Static<typeof UnitPageSchema>;
export const UnitStatePageSchema = Type.Object({ states: Type.Optional(Type.Array(UnitStateSchema)), nextPageToken: Type.Optional(Type.String()) });
export type UnitStatePage = Static<typeof UnitStatePageSchema>;
export const MachinePageSchema = Type.Object({ machines: Type.Optional(Type.Array(MachineSchema)), nextPageToken: Type.Optional(Type.String()) });
export type MachinePage = Static<typeof MachinePageSchema>;

/** fleet's error document: `{"error":{"code":404,"message":"unit does not exist"}}`. */
export const FleetErrorSchema = Type.Object({ error: Type.Object({ code: Type.Integer(), message: Type.String() }) });
export type FleetErrorBody = Static<typeof FleetErrorSchema>;

/** The API's base path, and the legacy alias fleet also serves. */
export const fleetApiPrefix = '/fleet/v1';
export const fleetApiLegacyPrefix = '/v1-alpha';
