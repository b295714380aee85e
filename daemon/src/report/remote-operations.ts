// Operations an operator asked for through the hub, handed to this gateway with the answer to a
// report (so no connection into the gateway is needed): the recent output of a service's
// container, or a restart of it. Only the kinds ferryd.yaml allows (report.operations), only on
// Ferry's own containers of this device, each done once, one at a time, and logged.
import type { Logger } from 'pino';
import { FAILURE_LOG_LINE_CHARS } from '#kernel/failure-log.js';
import type { ContainerEngine } from '../apply/container-engine.js';

export type OperationKind = 'logs' | 'restart';

export interface HubOperation {
  readonly id: number;
  readonly kind: OperationKind;
  readonly deployment: string;
  readonly service: string;
  readonly lines?: number;
}

export interface OperationResult {
  readonly lines?: readonly string[];
  readonly error?: string;
}

export interface RemoteOperationsOptions {
  readonly engine: ContainerEngine;
  readonly device: string;
  readonly allowed: readonly OperationKind[];
  readonly logger: Logger;
  /** Sends an operation's result to the hub; false when it did not arrive. */
  readonly answer: (id: number, result: OperationResult) => Promise<boolean>;
}

const MAX_OPERATIONS = 8;
const MAX_LINES = 1000;
/** Ids of operations done, remembered so that one handed out again is not done twice. */
const REMEMBERED = 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The operations in a hub's answer, or none: it comes from the network, so it is checked. */
export function operationsIn(answer: unknown): HubOperation[] {
  const list = (answer as { operations?: unknown } | null)?.operations;
  if (!Array.isArray(list)) return [];
  return list.slice(0, MAX_OPERATIONS).flatMap((raw: unknown): HubOperation[] => {
    const o = raw as Partial<Record<keyof HubOperation, unknown>>;
    const valid =
      Number.isSafeInteger(o.id) &&
      (o.kind === 'logs' || o.kind === 'restart') &&
      typeof o.deployment === 'string' &&
      NAME.test(o.deployment) &&
      typeof o.service === 'string' &&
      NAME.test(o.service) &&
      (o.lines === undefined || (Number.isSafeInteger(o.lines) && (o.lines as number) > 0));
    if (!valid) return [];
    return [
      {
        id: o.id as number,
        kind: o.kind as OperationKind,
        deployment: o.deployment as string,
        service: o.service as string,
        lines: Math.min(MAX_LINES, (o.lines as number | undefined) ?? 200),
      },
    ];
  });
}

export class RemoteOperations {
  readonly #done = new Set<number>();
  /** Results the hub has not taken yet: answered again when it hands the operation out again. */
  readonly #unanswered = new Map<number, OperationResult>();
  #queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: RemoteOperationsOptions) {}

  /**
   * Queues the operations not done yet; they run one after another, beside reconciliation. One
   * handed out again is never done twice (a restart stays one restart): its result is resent.
   */
  take(operations: readonly HubOperation[]): Promise<void> {
    for (const operation of operations) {
      const waiting = this.#unanswered.get(operation.id);
      if (waiting) this.#queue = this.#queue.then(() => this.#answer(operation.id, waiting));
      if (this.#done.has(operation.id)) continue;
      this.#remember(operation.id);
      this.#queue = this.#queue.then(() => this.#run(operation));
    }
    return this.#queue;
  }

  async #answer(id: number, result: OperationResult): Promise<void> {
    if (await this.options.answer(id, result).catch(() => false)) this.#unanswered.delete(id);
    else this.#unanswered.set(id, result);
    if (this.#unanswered.size > MAX_OPERATIONS)
      this.#unanswered.delete(this.#unanswered.keys().next().value!);
  }

  #remember(id: number): void {
    this.#done.add(id);
    if (this.#done.size > REMEMBERED) this.#done.delete(this.#done.values().next().value!);
  }

  async #run(operation: HubOperation): Promise<void> {
    const { logger } = this.options;
    const result = await this.#do(operation).catch((error: unknown): OperationResult => ({
      error: (error instanceof Error ? error.message : String(error)).slice(0, 4096),
    }));
    logger.info(
      {
        event: 'operation.done',
        id: operation.id,
        kind: operation.kind,
        deployment: operation.deployment,
        service: operation.service,
        ...(result.error ? { reason: result.error } : {}),
      },
      'remote operation',
    );
    await this.#answer(operation.id, result);
  }

  async #do(operation: HubOperation): Promise<OperationResult> {
    if (!this.options.allowed.includes(operation.kind))
      return { error: `this gateway does not allow '${operation.kind}' (report.operations)` };
    const state = await this.options.engine.snapshot(this.options.device);
    const container = state.containers.find(
      (c) => c.deployment === operation.deployment && c.service === operation.service,
    );
    if (!container)
      return { error: `no container of ${operation.deployment}/${operation.service} here` };
    if (operation.kind === 'restart') {
      await this.options.engine.restart(container.id);
      return {};
    }
    const output = await this.options.engine.output(container.id, operation.lines ?? 200);
    const lines = output.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return {
      lines: lines
        .slice(-(operation.lines ?? 200))
        .map((line) =>
          line.length > FAILURE_LOG_LINE_CHARS ? `${line.slice(0, FAILURE_LOG_LINE_CHARS)}…` : line,
        ),
    };
  }
}
