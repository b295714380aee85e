// What a service may use of the device: memory, CPU, processes, block IO, devices by driver
// (GPUs), from the service keys or `deploy.resources` as Compose reads them without Swarm.
import { parseByteSize } from '../duration.js';
import { optional } from './compose-fields.js';
import type { ComposeBlkioLimit, ComposeDeviceRequest, ComposeService } from './compose-model.js';
import type { DesiredService, DeviceRequest, ResourceLimits } from './desired-state.js';
import type { At } from './normalize-context.js';
import type { ProblemSink } from './problem-sink.js';

type Resources = Pick<
  DesiredService,
  'memLimitBytes' | 'cpus' | 'pidsLimit' | 'limits' | 'deviceRequests'
>;

export function resources(raw: ComposeService, sink: ProblemSink, at: At): Resources {
  const limits = raw.deploy?.resources?.limits ?? {};
  const reservations = raw.deploy?.resources?.reservations ?? {};
  const bytes = (field: string, value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const parsed = parseByteSize(value);
    if (parsed === undefined) sink.add(at(field), `'${value}' is not a size (e.g. 256m, 1g)`);
    return parsed;
  };
  const number = (field: string, value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) sink.add(at(field), `'${value}' is not a number`);
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  const cpus = number(raw.cpus === undefined ? 'deploy' : 'cpus', raw.cpus ?? limits.cpus);
  if (cpus !== undefined && !(cpus > 0)) sink.add(at('cpus'), `'${cpus}' is not a CPU count`);
  const more: ResourceLimits = {
    ...optional(
      'memReservationBytes',
      bytes('mem_reservation', raw.mem_reservation ?? reservations.memory),
    ),
    ...optional('memSwappiness', raw.mem_swappiness),
    ...optional('memswapLimitBytes', swapLimit(raw.memswap_limit, bytes)),
    ...optional('cpuShares', number('cpu_shares', raw.cpu_shares)),
    ...optional('cpuQuota', number('cpu_quota', raw.cpu_quota)),
    ...optional('cpuPeriod', number('cpu_period', raw.cpu_period)),
    ...optional('cpuRtPeriod', number('cpu_rt_period', raw.cpu_rt_period)),
    ...optional('cpuRtRuntime', number('cpu_rt_runtime', raw.cpu_rt_runtime)),
    ...optional('cpuset', raw.cpuset),
    ...optional('shmSizeBytes', bytes('shm_size', raw.shm_size)),
    ...optional('oomKillDisable', raw.oom_kill_disable),
    ...optional('oomScoreAdj', raw.oom_score_adj),
    ...blkio(raw, bytes),
  };
  const requests = [
    ...(raw.gpus === 'all' ? [{ from: 'gpus' as const, capabilities: ['gpu'], count: -1 }] : []),
    ...(Array.isArray(raw.gpus) ? (raw.gpus as ComposeDeviceRequest[]).map(gpuRequest) : []),
    ...(reservations.devices ?? []).map((d) => deviceRequest(d, 'deploy')),
  ];
  return {
    ...optional(
      'memLimitBytes',
      bytes(raw.mem_limit === undefined ? 'deploy' : 'mem_limit', raw.mem_limit ?? limits.memory),
    ),
    ...optional('cpus', cpus),
    ...optional('pidsLimit', pidsLimit(raw.pids_limit ?? limits.pids, sink, at)),
    ...optional('limits', Object.keys(more).length > 0 ? more : undefined),
    ...optional('deviceRequests', requests.length > 0 ? requests : undefined),
  };
}

/** `memswap_limit: -1` is unlimited swap, as for the engine. */
function swapLimit(
  value: string | number | undefined,
  bytes: (field: string, value: string | number | undefined) => number | undefined,
): number | undefined {
  if (value === -1 || value === '-1') return -1;
  return bytes('memswap_limit', value);
}

function pidsLimit(value: number | string | undefined, sink: ProblemSink, at: At) {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) sink.add(at('pids_limit'), `'${value}' is not a whole number`);
  return Number.isInteger(parsed) ? parsed : undefined;
}

function blkio(
  raw: ComposeService,
  bytes: (field: string, value: string | number | undefined) => number | undefined,
): Partial<ResourceLimits> {
  const config = raw.blkio_config;
  if (!config) return {};
  const rates = (limits: readonly ComposeBlkioLimit[] | undefined, field: string) =>
    limits?.map((l) => ({ path: l.path, rate: bytes(`blkio_config.${field}`, l.rate) ?? 0 }));
  return {
    ...optional('blkioWeight', config.weight),
    ...optional('blkioWeightDevice', config.weight_device && [...config.weight_device]),
    ...optional('blkioDeviceReadBps', rates(config.device_read_bps, 'device_read_bps')),
    ...optional('blkioDeviceWriteBps', rates(config.device_write_bps, 'device_write_bps')),
    ...optional('blkioDeviceReadIOps', rates(config.device_read_iops, 'device_read_iops')),
    ...optional('blkioDeviceWriteIOps', rates(config.device_write_iops, 'device_write_iops')),
  };
}

function gpuRequest(spec: ComposeDeviceRequest): DeviceRequest {
  return deviceRequest({ ...spec, capabilities: spec.capabilities ?? ['gpu'] }, 'gpus');
}

function deviceRequest(spec: ComposeDeviceRequest, from: DeviceRequest['from']): DeviceRequest {
  return {
    from,
    capabilities: [...(spec.capabilities ?? [])],
    ...optional('driver', spec.driver),
    ...optional('count', spec.count === 'all' ? -1 : spec.count),
    ...optional('deviceIds', spec.device_ids && [...spec.device_ids]),
    ...optional(
      'options',
      spec.options &&
        Object.fromEntries(Object.entries(spec.options).map(([k, v]) => [k, String(v)])),
    ),
  };
}
