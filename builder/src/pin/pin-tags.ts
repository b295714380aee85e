// `ferry pin`: every image of the deployed stacks that is given by tag is resolved, once, to the
// digest its registry serves for that tag now (the multi-platform index where there is one, so
// every architecture keeps working), and written into the compose file, only the image values
// edited. Built images are left to `ferry build`; images with ${VARIABLES} cannot be pinned here.
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { isPinned } from '#kernel/fleet/resolve-device.js';
import { manifestRef, parseImageReference } from '#kernel/oci/image-reference.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { FerryError } from '#kernel/errors.js';
import { builtRepositories, deployedServices, tryKey } from './built-repositories.js';
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

/** The digest the registry serves for an image's tag now (the index, for several platforms). */
async function digestOf(
  registry: RegistryClient,
  file: string,
  service: string,
  image: string,
): Promise<string> {
  const ref = parseImageReference(image);
  const manifest = await registry.getManifest(ref, manifestRef(ref)).catch((error: Error) => {
    throw new FerryError(
      'FERRY_REGISTRY',
      `${file} services.${service}.image: ${image}: ${error.message}`,
    );
  });
  return manifest.digest;
}

export async function pinTags(
  fleet: LoadedFleet,
  readText: (file: string) => Promise<string>,
  registry: RegistryClient,
): Promise<TagPins> {
  const digests = new Map<string, string>();
  const files = new Map<string, { text: string; changes: readonly PinChange[] }>();
  const skipped: { file: string; service: string; reason: string }[] = [];
  const built = builtRepositories(fleet);
  for (const { stack, services } of deployedServices(fleet)) {
    const pinnable = new Set<string>();
    for (const [service, spec] of Object.entries(services)) {
      const image = typeof spec?.image === 'string' ? spec.image : '';
      const key = tryKey(image);
      const skip = (reason: string) => skipped.push({ file: stack.file, service, reason });
      if (image === '' || isPinned(image)) continue;
      if (!key) skip('the image is given with ${VARIABLES}');
      else if (built.has(key)) skip('built in this fleet: ferry build pins it');
      else {
        pinnable.add(service);
        if (!digests.has(image))
          digests.set(image, await digestOf(registry, stack.file, service, image));
      }
    }
    const text = await readText(stack.file);
    const pinned = pinComposeWith(text, (image, service) =>
      pinnable.has(service) ? digests.get(image) : undefined,
    );
    if (pinned.changes.length > 0) files.set(stack.file, pinned);
  }
  return { files, skipped };
}
