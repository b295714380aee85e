// `ferry pin`: every image of the deployed stacks that is given by tag is resolved, once, to the
// digest its registry serves for that tag now (the multi-platform index where there is one, so
// every architecture keeps working), and written into the compose file, only the image values
// edited. Built images are left to `ferry build`; images with ${VARIABLES} cannot be pinned here.
import type { LoadedFleet } from '../../../daemon/src/desired/fleet-model.js';
import { isPinned } from '../../../daemon/src/desired/resolve-device.js';
import { manifestRef, parseImageReference } from '../../../daemon/src/fetch/image-reference.js';
import type { RegistryClient } from '../../../daemon/src/fetch/registry-client.js';
import { FerryError } from '../../../schema/src/errors.js';
import { pinComposeWith, type PinChange } from './pin-compose.js';

export interface TagPins {
  /** Fleet-relative compose file -> its new text and what changed. */
  readonly files: ReadonlyMap<
    string,
    { readonly text: string; readonly changes: readonly PinChange[] }
  >;
  /** Services left as they were, and why. */
  readonly skipped: readonly {
    readonly file: string;
    readonly service: string;
    readonly reason: string;
  }[];
}

export async function pinTags(
  fleet: LoadedFleet,
  readText: (file: string) => Promise<string>,
  registry: RegistryClient,
): Promise<TagPins> {
  const digests = new Map<string, string>();
  const files = new Map<string, { text: string; changes: readonly PinChange[] }>();
  const skipped: { file: string; service: string; reason: string }[] = [];
  for (const path of [...new Set(fleet.fleet.deployments.map((d) => d.stack))].sort()) {
    const stack = fleet.stacks.get(path);
    if (!stack) continue;
    const services = (
      stack.yaml.value as { services?: Record<string, { image?: unknown; build?: unknown }> }
    ).services;
    for (const [service, spec] of Object.entries(services ?? {})) {
      const image = typeof spec?.image === 'string' ? spec.image : '';
      const skip = (reason: string) => skipped.push({ file: stack.file, service, reason });
      if (image === '' || isPinned(image)) continue;
      if (spec?.build !== undefined) skip('built: ferry build pins it');
      else if (image.includes('$')) skip('the image is given with ${VARIABLES}');
      else if (!digests.has(image)) {
        const ref = parseImageReference(image);
        const manifest = await registry.getManifest(ref, manifestRef(ref)).catch((error: Error) => {
          throw new FerryError(
            'FERRY_REGISTRY',
            `${stack.file} services.${service}.image: ${image}: ${error.message}`,
          );
        });
        digests.set(image, manifest.digest);
      }
    }
    const text = await readText(stack.file);
    const pinned = pinComposeWith(text, (image, service) =>
      services?.[service]?.build === undefined ? digests.get(image) : undefined,
    );
    if (pinned.changes.length > 0) files.set(stack.file, pinned);
  }
  return { files, skipped };
}
