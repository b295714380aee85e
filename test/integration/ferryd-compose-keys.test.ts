// Every Compose key Ferry deploys has its effect: a stack written the way published gateway stacks
// are (anchors and merge keys, long and short forms) is deployed by ferryd on the real engine, and
// `docker inspect` shows each key's effect. Nothing is parsed and then dropped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import {
  cleanDevice,
  ferrydOnce,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { docker } from '../helpers/images.js';
import type { FleetRepo } from '../helpers/fleet-repo.js';

const device = uniqueDevice('keys');
// Outside the engine's default address pools (172.17-31/16, 192.168/16), where networks that
// other test files create side by side get their subnets.
const subnet = `10.213.${process.pid % 250}`;
let repo: FleetRepo;
let setup: FerrydSetup;
let image: string;
let web: Docker.ContainerInspectInfo;
let db: Docker.ContainerInspectInfo;

const stack = () => `x-common: &common
  image: ${image}
  restart: on-failure:3
  logging: { driver: json-file, options: { max-size: 1m, max-file: "2" } }
  labels: { com.example.team: iot }

services:
  web:
    <<: *common
    container_name: gw-web
    hostname: web-1
    domainname: plant.example
    working_dir: /www
    expose: ["9100"]
    environment: [SITE, "MODE=prod"]
    env_file: [{ path: ./optional.env, required: false }]
    dns: [10.0.0.53]
    dns_search: plant.example
    dns_opt: ["ndots:2"]
    extra_hosts: { "gateway.local": "10.0.0.1" }
    group_add: ["20"]
    init: true
    tty: true
    stdin_open: true
    security_opt: ["no-new-privileges:true"]
    cap_drop: [NET_RAW]
    shm_size: 32m
    mem_limit: 64m
    mem_reservation: 32m
    cpu_shares: 512
    cpuset: "0"
    pids_limit: 100
    oom_score_adj: 100
    ulimits: { nofile: { soft: 1024, hard: 2048 } }
    sysctls: { net.core.somaxconn: 1024 }
    stop_signal: SIGINT
    stop_grace_period: 5s
    ipc: service:db
    runtime: runc
    cgroup: private
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      start_period: 2s
      retries: 3
    ports:
      - { target: 8080, host_ip: 127.0.0.1, protocol: tcp, mode: host }
    volumes:
      - type: volume
        source: data
        target: /data
        volume: { nocopy: true }
      - { type: tmpfs, target: /cache, tmpfs: { size: 16m } }
    networks:
      backbone:
        ipv4_address: ${subnet}.10
        aliases: [frontend]
    links: ["db:database"]
    depends_on:
      db: { condition: service_started, restart: true }
      debug: { condition: service_started, required: false }
  db:
    <<: *common
    command: ["sleep", "3600"]
    ipc: shareable
    read_only: true
    deploy:
      resources:
        limits: { cpus: "0.5", memory: 48m }
        reservations: { memory: 16m }
    networks: [backbone]
  debug:
    image: ${image}
    profiles: [debug]

networks:
  backbone:
    ipam: { config: [{ subnet: ${subnet}.0/24 }] }
volumes:
  data:
    name: iot-data
`;

before(async () => {
  image = await pushWebAppImage();
  ({ repo, setup } = await oneStackFleet(
    'compose-keys',
    device,
    { 'stacks/iot/compose.yaml': stack() },
    { vars: '{ SITE: vienna }' },
  ));
  await repo.commit('every key');
  const { result, report } = await ferrydOnce(setup);
  assert.equal(report.converged, true, result.stdout + result.stderr);
  web = await docker.getContainer(`${device}.gw-web`).inspect();
  db = await docker.getContainer(`${device}.iot.db`).inspect();
});

after(async () => {
  await cleanDevice(device);
  await repo?.remove();
});

describe('each Compose key has its effect on the engine', () => {
  it('names: container_name (in the engine namespace), hostname, domainname', () => {
    assert.equal(web.Name, `/${device}.gw-web`);
    assert.equal(web.Config.Hostname, 'web-1');
    assert.equal(web.Config.Domainname, 'plant.example');
  });

  it('process: environment passed through from the device, working_dir, tty, stdin, init, stop', () => {
    assert.ok(web.Config.Env.includes('SITE=vienna'));
    assert.ok(web.Config.Env.includes('MODE=prod'));
    assert.equal(web.Config.WorkingDir, '/www');
    assert.equal(web.Config.Tty, true);
    assert.equal(web.Config.OpenStdin, true);
    assert.equal(web.HostConfig.Init, true);
    assert.equal((web.Config as { StopSignal?: string }).StopSignal, 'SIGINT');
    assert.equal((web.Config as { StopTimeout?: number }).StopTimeout, 5);
    assert.deepEqual(web.HostConfig.GroupAdd, ['20']);
    assert.equal(web.HostConfig.Runtime, 'runc');
  });

  it('anchors and merge keys: restart on-failure:3, logging options, labels', () => {
    for (const c of [web, db]) {
      assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
      assert.deepEqual(c.HostConfig.LogConfig, {
        Type: 'json-file',
        Config: { 'max-size': '1m', 'max-file': '2' },
      });
      assert.equal(c.Config.Labels['com.example.team'], 'iot');
    }
  });

  it('security and namespaces: no-new-privileges, cap_drop, ipc shared with a service, cgroup', () => {
    assert.deepEqual(web.HostConfig.SecurityOpt, ['no-new-privileges:true']);
    assert.deepEqual(web.HostConfig.CapDrop, ['NET_RAW']);
    assert.equal(db.HostConfig.IpcMode, 'shareable');
    assert.equal(web.HostConfig.IpcMode, `container:${db.Id}`);
    assert.equal((web.HostConfig as { CgroupnsMode?: string }).CgroupnsMode, 'private');
    assert.equal(db.HostConfig.ReadonlyRootfs, true);
  });

  it('limits: memory, reservation, shm, cpu shares and set, pids, oom, ulimits, sysctls, deploy', () => {
    assert.equal(web.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(web.HostConfig.MemoryReservation, 32 * 1024 * 1024);
    assert.equal(web.HostConfig.ShmSize, 32 * 1024 * 1024);
    assert.equal(web.HostConfig.CpuShares, 512);
    assert.equal(web.HostConfig.CpusetCpus, '0');
    assert.equal(web.HostConfig.PidsLimit, 100);
    assert.equal(web.HostConfig.OomScoreAdj, 100);
    assert.deepEqual(web.HostConfig.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(web.HostConfig.Sysctls, { 'net.core.somaxconn': '1024' });
    assert.equal(db.HostConfig.NanoCpus, 0.5e9);
    assert.equal(db.HostConfig.Memory, 48 * 1024 * 1024);
    assert.equal(db.HostConfig.MemoryReservation, 16 * 1024 * 1024);
  });

  it('network: expose, a port on one address, dns, extra hosts, a fixed address, aliases, links', () => {
    assert.ok('9100/tcp' in web.Config.ExposedPorts);
    assert.equal(web.HostConfig.PortBindings['8080/tcp']?.[0]?.HostIp, '127.0.0.1');
    assert.deepEqual(web.HostConfig.Dns, ['10.0.0.53']);
    assert.deepEqual(web.HostConfig.DnsSearch, ['plant.example']);
    assert.deepEqual(web.HostConfig.DnsOptions, ['ndots:2']);
    assert.deepEqual(web.HostConfig.ExtraHosts, ['gateway.local:10.0.0.1']);
    const backbone = `${device}.iot.backbone`;
    const webNet = web.NetworkSettings.Networks[backbone];
    assert.equal(webNet?.IPAMConfig?.IPv4Address, `${subnet}.10`);
    assert.ok(webNet?.Aliases?.includes('frontend'));
    assert.ok(webNet?.Aliases?.includes('web'), 'the service name stays an alias');
    assert.ok(db.NetworkSettings.Networks[backbone]?.Aliases?.includes('database'), 'links');
  });

  it('volumes: a named volume under its name:, nocopy, tmpfs with a size; profiles leave debug out', async () => {
    const data = web.Mounts.find((m) => m.Destination === '/data');
    assert.equal(data?.Name, `${device}.iot-data`);
    const cache = (web.HostConfig.Mounts ?? []).find((m) => m.Target === '/cache');
    assert.equal(cache?.TmpfsOptions?.SizeBytes, 16 * 1024 * 1024);
    const volume = (web.HostConfig.Mounts ?? []).find((m) => m.Target === '/data');
    assert.equal(volume?.VolumeOptions?.NoCopy, true);
    const debug = await docker
      .getContainer(`${device}.iot.debug`)
      .inspect()
      .catch(() => undefined);
    assert.equal(debug, undefined, 'a service of a profile not enabled is not deployed');
  });

  it('depends_on restart: true recreates the dependent when its dependency changes', async () => {
    await writeFleet(repo.workTree, {
      'stacks/iot/compose.yaml': stack().replace(
        'command: ["sleep", "3600"]',
        'command: ["sleep", "3601"]',
      ),
    });
    await repo.commit('db changes');
    const { report } = await ferrydOnce(setup);
    assert.equal(report.converged, true, JSON.stringify(report.failures));
    assert.deepEqual(report.deployments[0]?.services.map((s) => `${s.name}:${s.action}`).sort(), [
      'db:recreate',
      'web:recreate',
    ]);
    const webAfter = await docker.getContainer(`${device}.gw-web`).inspect();
    assert.notEqual(webAfter.Id, web.Id);
  });
});
