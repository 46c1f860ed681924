import { DockerEngine } from '@minicore/docker-engine';

export const TEST_IMAGE = 'minicore/busybox:latest';
export const DOCKER_SOCKET = process.env['DOCKER_SOCKET'] ?? '/var/run/docker.sock';

/** Why the integration tests cannot run here, or undefined when they can. */
async function unavailableReason(): Promise<string | undefined> {
  const engine = new DockerEngine({ socketPath: DOCKER_SOCKET });
  try {
    await engine.ping();
  } catch (error) {
    return `${(error as Error).message} (start it with tools/ci/start-dockerd.sh)`;
  }
  try {
    await engine.inspectImage(TEST_IMAGE);
  } catch {
    return `the test image ${TEST_IMAGE} is missing (build it with tools/ci/build-test-image.sh)`;
  }
  return undefined;
}

const reason = await unavailableReason();
if (reason) {
  if (process.env['CI'] === 'true') throw new Error(`runner integration tests need a Docker engine under CI: ${reason}`);
  console.warn(`skipping runner integration tests: ${reason}`);
}

/** Skip (outside CI only) when no engine answers or the test image is missing; the reason is printed. */
export const noEngine = reason !== undefined;
export const skipMessage = reason ? `needs a Docker engine: ${reason}` : 'Docker engine';
