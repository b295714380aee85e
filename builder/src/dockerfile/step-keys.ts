// A key per layer that names the inputs of the step that made it, the way the engine's own build
// cache does: the platform, the base image's layers, and every instruction up to this one as the
// engine recorded it (`COPY` with the sha256 of the files it copied and its `--chown`, `RUN` with
// the command and the build args it saw, `ENV`, `WORKDIR`, `USER` ...). The bytes a `RUN` wrote
// are not part of it: `RUN npm ci` run twice writes different bytes from the same inputs.
// Keys are written into the image's history, so a cold builder can find, in the pinned image,
// the layer an unchanged step made earlier and reuse it (see reuse-pinned.ts).
import { createHash } from 'node:crypto';

export interface HistoryEntry {
  readonly created_by?: string;
  readonly empty_layer?: boolean;
  readonly comment?: string;
}

/** Prefix of the history comment that carries a layer's step key. */
export const STEP_KEY_PREFIX = 'ferry-step ';

/**
 * One key per layer, bottom first. `diffIds` are the image's layers; the first `baseCount` are
 * the base image's and enter the keys by content.
 */
export function stepKeys(
  platform: string,
  history: readonly HistoryEntry[],
  diffIds: readonly string[],
  baseCount: number,
): string[] {
  const keys: string[] = [];
  let running = createHash('sha256').update(`ferry-step-v1\n${platform}\n`).digest('hex');
  const fold = (text: string) => {
    running = createHash('sha256').update(`${running}\n${text}`).digest('hex');
  };
  for (const entry of history) {
    const index = keys.length;
    if (entry.empty_layer) {
      fold(`empty ${entry.created_by ?? ''}`);
      continue;
    }
    if (index >= diffIds.length) break;
    fold(index < baseCount ? `base ${diffIds[index]}` : `layer ${entry.created_by ?? ''}`);
    keys.push(`sha256:${running}`);
  }
  // A history shorter than the layers (hand-made images) gives the rest no key: never reused.
  return keys;
}

/** The step keys recorded in an image's history, one per layer (undefined where none). */
export function recordedStepKeys(history: readonly HistoryEntry[]): (string | undefined)[] {
  return history
    .filter((entry) => !entry.empty_layer)
    .map((entry) =>
      entry.comment?.startsWith(STEP_KEY_PREFIX)
        ? entry.comment.slice(STEP_KEY_PREFIX.length)
        : undefined,
    );
}
