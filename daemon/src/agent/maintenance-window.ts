// Maintenance windows: `window: { cron, duration }` opens at every cron match and stays open for
// the duration. node-cron parses and matches the expression; we only walk back over the minutes
// a window could have opened in.
import { createTask, validate } from 'node-cron';

/** Whether `now` falls inside a window that opened at a cron match within the last `durationMs`. */
export function insideWindow(cron: string, durationMs: number, now: Date): boolean {
  if (!validate(cron)) return false;
  const task = createTask(cron, () => undefined);
  try {
    const minute = 60_000;
    const start = Math.floor(now.getTime() / minute) * minute;
    for (let at = start; at > now.getTime() - durationMs; at -= minute) {
      if (task.match(new Date(at))) return true;
    }
    return false;
  } finally {
    void task.destroy();
  }
}
