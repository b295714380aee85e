// The one way Ferry's programs log: pino JSON lines with the level's name ("level":"info", not
// 30, so `grep '"level":"error"'` works) and a stable `event` field on every line worth alerting on
// (docs/operations.md lists them all; a test checks the list against the source).
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export function createLogger(
  name: string,
  options: { level?: LogLevel; base?: Record<string, unknown> } = {},
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    name,
    level: options.level ?? 'info',
    formatters: { level: (label) => ({ level: label }) },
    ...(options.base ? { base: options.base } : {}),
  };
  return destination ? pino(settings, destination) : pino(settings);
}
