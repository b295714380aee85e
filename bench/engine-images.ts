// The images a benchmark builds on the main engine, so that it removes only those when done: the
// engine is shared with tests and people, whose images and build cache must survive a bench.
import { docker } from '../test/helpers/images.js';

async function imageIds(): Promise<Set<string>> {
  return new Set((await docker.listImages({ all: true })).map((i) => i.Id));
}

/** Notes the images there are now; `removeNew()` removes every image added since. */
export async function trackEngineImages(): Promise<{ removeNew(): Promise<void> }> {
  const before = await imageIds();
  return {
    async removeNew() {
      for (const id of await imageIds())
        if (!before.has(id))
          await docker
            .getImage(id)
            .remove({ force: true })
            .catch(() => undefined);
    },
  };
}
