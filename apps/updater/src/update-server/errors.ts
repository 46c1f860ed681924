import { defineHttpError } from '@minicore/http';

export const Unauthorized = defineHttpError('MC_ERR_UNAUTHORIZED', 401, () => 'missing or wrong admin token: send Authorization: Bearer <token>');
export const MalformedOmahaRequest = defineHttpError('MC_ERR_OMAHA_MALFORMED', 400, (why: string) => `not an Omaha v3 request: ${why}`);
export const NoSuchApplication = defineHttpError('MC_ERR_NO_APPLICATION', 404, (id: string) => `no application ${id}`);
export const NoSuchChannel = defineHttpError('MC_ERR_NO_CHANNEL', 404, (name: string) => `no channel ${name}`);
export const NoSuchGroup = defineHttpError('MC_ERR_NO_GROUP', 404, (name: string) => `no group ${name}`);
export const NoSuchPackage = defineHttpError('MC_ERR_NO_PACKAGE', 404, (version: string) => `no package for version ${version}: upload it first`);
export const NoSuchInstance = defineHttpError('MC_ERR_NO_INSTANCE', 404, (id: string) => `no instance ${id}`);
export const AlreadyExists = defineHttpError('MC_ERR_EXISTS', 409, (what: string) => `${what} already exists`);
export const TrackTaken = defineHttpError('MC_ERR_TRACK_TAKEN', 409, (track: string, group: string) => `track ${track} already belongs to group ${group}`);
export const InvalidTimezone = defineHttpError('MC_ERR_INVALID_TIMEZONE', 400, (zone: string) => `unknown timezone ${zone}`);
export const RangeNotSatisfiable = defineHttpError('MC_ERR_RANGE', 416, (range: string, size: number) => `range ${range} is not satisfiable for ${size} bytes`);
