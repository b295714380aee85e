// Builds images from build contexts with the real engine and pushes them to a test registry.
import Docker from 'dockerode';
import { testEnv } from './test-env.js';

export const docker = new Docker({ socketPath: testEnv.dockerSocket });

async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  const events = await new Promise<{ error?: string; errorDetail?: { message: string } }[]>(
    (resolve, reject) =>
      docker.modem.followProgress(stream, (error, output) =>
        error ? reject(error) : resolve(output as never),
      ),
  );
  const failed = events.find((event) => event.error);
  if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
}

/** `docker build` of a context folder with build args; returns the image id. */
export async function buildImage(
  context: string,
  tag: string,
  buildargs: Record<string, string> = {},
): Promise<string> {
  const stream = await docker.buildImage(
    { context, src: ['.'] },
    { t: tag, buildargs, rm: true, forcerm: true },
  );
  await follow(stream);
  return (await docker.getImage(tag).inspect()).Id;
}

/** `docker push` of a tag, with credentials for registries that need them. */
export async function pushImage(
  tag: string,
  auth?: { username: string; password: string; serveraddress: string },
): Promise<void> {
  // Engine 20.10 wants an X-Registry-Auth header even for anonymous pushes; `{}` sends an empty one.
  const stream = await docker.getImage(tag).push({ authconfig: auth ?? {} });
  await follow(stream);
}

/**
 * The Node.js base in the test registry, as `FROM 127.0.0.1:5101/ferry-test/node:20` expects it
 * (the telemetry fixture): tagged and pushed, so the engine records the registry's digest as it
 * does for a pulled base. A push of layers the registry has costs a few HEAD requests.
 */
export async function pushNodeBase(): Promise<string> {
  const repository = `${testEnv.registry}/ferry-test/node`;
  await docker.getImage(testEnv.nodeImage).tag({ repo: repository, tag: '20' });
  await pushImage(`${repository}:20`);
  return `${repository}:20`;
}
