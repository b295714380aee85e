// Images Ferry imported and nothing needs any more: removed after a pass, so a gateway's disk holds
// what runs and what a rollback would need.
import type { Logger } from 'pino';
import type { ImageCache } from './image-cache.js';
import type { ImageStore } from './image-store.js';

/**
 * Removes images Ferry fetched that no desired or last-known-good deployment references. An
 * image still used by a container is left (the engine refuses to remove it without force).
 */
export async function removeUnusedImages(
  images: ImageStore,
  cache: ImageCache,
  keep: ReadonlySet<string>,
  logger: Logger,
): Promise<string[]> {
  const removed: string[] = [];
  const entries = await cache.all();
  const keptIds = new Set(
    Object.entries(entries)
      .filter(([r]) => keep.has(r))
      .map(([, e]) => e.configDigest),
  );
  for (const [reference, entry] of Object.entries(entries)) {
    if (keep.has(reference)) continue;
    if (!keptIds.has(entry.configDigest)) {
      if (!(await images.removeImage(entry.configDigest))) continue;
    }
    await cache.delete(reference);
    removed.push(reference);
    logger.info(
      { event: 'image.removed', image: reference, id: entry.configDigest },
      'unused image removed',
    );
  }
  return removed;
}
