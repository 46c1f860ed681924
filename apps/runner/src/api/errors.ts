import { defineHttpError } from '@minicore/http';

/** runnerd's error catalogue: stable codes that runctl and tests match on, messages that name the thing and the cause. */
export const NoSuchContainer = defineHttpError('RUNNER_NO_SUCH_CONTAINER', 404, (ref: string) => `no such container: ${ref} (runnerd lists only the containers it created on this machine)`);
export const AmbiguousContainer = defineHttpError('RUNNER_AMBIGUOUS_CONTAINER', 400, (ref: string, count: number) => `"${ref}" matches ${count} containers: give more of the id, or the name`);
export const NoSuchImage = defineHttpError('RUNNER_NO_SUCH_IMAGE', 404, (image: string) => `no such image: ${image} (import it with runctl import TARBALL NAME:TAG, or pull it from a registry with runctl pull)`);
export const NameInUse = defineHttpError('RUNNER_NAME_IN_USE', 409, (name: string) => `container name "${name}" is already in use: remove that container (runctl rm) or choose another --name`);
export const ContainerNotRunning = defineHttpError('RUNNER_CONTAINER_NOT_RUNNING', 409, (ref: string) => `container ${ref} is not running`);
export const ContainerRunning = defineHttpError('RUNNER_CONTAINER_RUNNING', 409, (ref: string) => `container ${ref} is running: stop it first, or remove it with rm -f`);
export const EngineUnreachable = defineHttpError('RUNNER_ENGINE_UNREACHABLE', 503, (message: string) => message);
export const EngineFailed = defineHttpError('RUNNER_ENGINE_ERROR', 502, (what: string, message: string) => `${what}: ${message}`);
export const BadSpec = defineHttpError('RUNNER_BAD_SPEC', 400, (message: string) => message);
export const ServiceAnnounced = defineHttpError('RUNNER_SERVICE_ANNOUNCED', 409, (service: string, container: string) => `service "${service}" is already announced on this machine by container ${container}: remove it (runctl rm) or announce another name`);
export const BadImageRef = defineHttpError('RUNNER_BAD_IMAGE_REF', 400, (message: string) => message);
export const RegistryFailed = defineHttpError('RUNNER_REGISTRY_ERROR', 502, (what: string, message: string) => `${what}: ${message}`);
