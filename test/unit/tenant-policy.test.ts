// The tenant policy is an allow-list: every Compose key is classified, and every key that can reach
// the host is refused for a tenant unless its policy grants it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { SERVICE_KEYS, STACK_OBJECT_KEYS } from '#kernel/fleet/tenant-policy.js';
import { fleetFiles, load } from '../helpers/fleet-builder.js';

interface SchemaNode {
  properties?: Record<string, unknown>;
  anyOf?: SchemaNode[];
  additionalProperties?: SchemaNode | boolean;
}

const schema = JSON.parse(
  await readFile(new URL('../../../schema/compose.schema.json', import.meta.url), 'utf8'),
) as { properties: Record<string, SchemaNode>; $defs: { service: SchemaNode } };

/** Property names of the object a schema node allows (through anyOf and map values). */
function objectKeys(node: SchemaNode): string[] {
  const keys = Object.keys(node.properties ?? {});
  for (const branch of node.anyOf ?? []) keys.push(...objectKeys(branch));
  if (typeof node.additionalProperties === 'object')
    keys.push(...objectKeys(node.additionalProperties));
  return keys;
}

describe('tenant policy: every Compose key is classified', () => {
  it('classifies every service key of compose.schema.json as harmless or gated', () => {
    const unclassified = objectKeys(schema.$defs.service).filter((key) => !(key in SERVICE_KEYS));
    assert.deepEqual(unclassified, [], 'add these keys to SERVICE_KEYS in tenant-policy.ts');
    assert.ok(Object.keys(SERVICE_KEYS).length >= 30);
  });

  it('classifies every key of top-level volumes and networks', () => {
    for (const section of ['volumes', 'networks']) {
      const keys = objectKeys(schema.properties[section]!);
      assert.ok(keys.length > 0, section);
      assert.deepEqual(
        keys.filter((key) => !(key in STACK_OBJECT_KEYS)),
        [],
        `${section}: add these keys to STACK_OBJECT_KEYS`,
      );
    }
  });

  it('lists no key the schema does not have (a stale rule would hide a renamed key)', () => {
    const known = new Set(objectKeys(schema.$defs.service));
    assert.deepEqual(
      Object.keys(SERVICE_KEYS).filter((key) => !known.has(key)),
      [],
    );
  });
});

const deployment = `  - name: app\n    stack: stacks/app\n    target: { devices: [d] }\n    tenant: acme`;

async function resolveAs(service: string, grant = '{}') {
  const compose = `services:\n  app:\n    image: registry.test/app:1\n${service}\n  peer:\n    image: registry.test/peer:1\n`;
  const files = fleetFiles(
    deployment,
    { d: 'labels: {}' },
    { 'stacks/app': compose },
    `policy:\n  tenants:\n    acme: ${grant}\n`,
  );
  return resolveDevice(await load(files), 'd');
}

// One attack per gated key: refused without a grant, accepted with the grant that names it.
const attacks: { key: string; service: string; grant: string; path: string; says: RegExp }[] = [
  {
    key: 'privileged',
    service: '    privileged: true',
    grant: '{ privileged: true }',
    path: 'services.app.privileged',
    says: /privileged/,
  },
  {
    key: 'cap_add',
    service: '    cap_add: [cap_sys_admin]',
    grant: '{ capabilities: [SYS_ADMIN] }',
    path: 'services.app.cap_add[0]',
    says: /capability SYS_ADMIN/,
  },
  {
    key: 'cap_add ALL',
    service: '    cap_add: [ALL]',
    grant: '{ capabilities: [ALL] }',
    path: 'services.app.cap_add[0]',
    says: /capability ALL/,
  },
  {
    key: 'sysctls',
    service: '    sysctls: { net.ipv4.ip_forward: "1" }',
    grant: '{ sysctls: [net.ipv4.*] }',
    path: 'services.app.sysctls["net.ipv4.ip_forward"]',
    says: /sysctl net.ipv4.ip_forward/,
  },
  {
    key: 'network_mode host',
    service: '    network_mode: host',
    grant: '{ hostNetwork: true }',
    path: 'services.app.network_mode',
    says: /host network/,
  },
  {
    key: 'network_mode bridge',
    service: '    network_mode: bridge',
    grant: '{ bridgeNetwork: true }',
    path: 'services.app.network_mode',
    says: /network_mode 'bridge'/,
  },
  {
    key: 'ports on every interface',
    service: '    ports: ["8080:80"]',
    grant: '{ ports: ["0.0.0.0:8000-8099"] }',
    path: 'services.app.ports[0]',
    says: /publish 0\.0\.0\.0:8080/,
  },
  {
    key: 'ports on loopback',
    service: '    ports: ["127.0.0.1:9000:80"]',
    grant: '{ ports: ["127.0.0.1:9000"] }',
    path: 'services.app.ports[0]',
    says: /publish 127\.0\.0\.1:9000/,
  },
  {
    key: 'ports, long form',
    service: '    ports: [{ target: 80, published: 8443, host_ip: "::1" }]',
    grant: '{ ports: ["[::1]:8443"] }',
    path: 'services.app.ports[0]',
    says: /publish ::1:8443/,
  },
  {
    key: 'logging',
    service:
      '    logging: { driver: syslog, options: { syslog-address: "udp://203.0.113.9:514" } }',
    grant: '{ loggingDrivers: [syslog] }',
    path: 'services.app.logging.driver',
    says: /syslog logging driver/,
  },
  {
    key: 'ulimits',
    service: '    ulimits: { nofile: 1048576 }',
    grant: '{ ulimits: [nofile] }',
    path: 'services.app.ulimits.nofile',
    says: /ulimit nofile/,
  },
  {
    key: 'devices',
    service: '    devices: ["/dev/mem:/dev/mem"]',
    grant: '{ devices: [/dev/mem] }',
    path: 'services.app.devices[0]',
    says: /device \/dev\/mem/,
  },
  {
    key: 'bind mounts',
    service: '    volumes: ["/run:/host-run"]',
    grant: '{ bindMounts: [/run] }',
    path: 'services.app.volumes[0]',
    says: /bind-mount \/run/,
  },
  ...(['pid', 'ipc', 'uts', 'userns_mode', 'cgroup'] as const).map((key) => ({
    key: `${key}: host`,
    service: `    ${key}: host`,
    grant: `{ hostNamespaces: [${key === 'userns_mode' ? 'userns' : key}] }`,
    path: `services.app.${key}`,
    says: /host's .* namespace/,
  })),
  {
    key: 'security_opt',
    service: '    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]',
    grant: '{ securityOpt: [seccomp=unconfined] }',
    path: 'services.app.security_opt[1]',
    says: /security_opt seccomp=unconfined/,
  },
  {
    key: 'runtime',
    service: '    runtime: nvidia',
    grant: '{ runtimes: [nvidia] }',
    path: 'services.app.runtime',
    says: /nvidia runtime/,
  },
  {
    key: 'gpus',
    service: '    gpus: all',
    grant: '{ gpus: true }',
    path: 'services.app.gpus',
    says: /devices by driver/,
  },
  {
    key: 'deploy reservations devices',
    service: '    deploy: { resources: { reservations: { devices: [{ capabilities: [gpu] }] } } }',
    grant: '{ gpus: true }',
    path: 'services.app.deploy',
    says: /devices by driver/,
  },
  {
    key: 'device_cgroup_rules',
    service: '    device_cgroup_rules: ["c 189:* rmw"]',
    grant: '{ deviceCgroupRules: true }',
    path: 'services.app.device_cgroup_rules',
    says: /device cgroup rules/,
  },
  {
    key: 'cgroup_parent',
    service: '    cgroup_parent: /system.slice',
    grant: '{ cgroupParent: true }',
    path: 'services.app.cgroup_parent',
    says: /cgroup parent/,
  },
  {
    key: 'oom_kill_disable',
    service: '    oom_kill_disable: true',
    grant: '{ oomProtection: true }',
    path: 'services.app.oom_kill_disable',
    says: /OOM killer/,
  },
  {
    key: 'a negative oom_score_adj',
    service: '    oom_score_adj: -900',
    grant: '{ oomProtection: true }',
    path: 'services.app.oom_score_adj',
    says: /OOM killer/,
  },
];

describe('tenant policy: what reaches the host needs a grant', () => {
  for (const attack of attacks) {
    it(`refuses ${attack.key} without a grant, naming file, line and field`, async () => {
      const { problems } = await resolveAs(attack.service);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]?.path, attack.path);
      assert.equal(problems[0]?.file, 'stacks/app/compose.yaml');
      assert.equal(problems[0]?.line, 4);
      assert.match(problems[0]?.message ?? '', attack.says);
    });

    it(`accepts ${attack.key} with ${attack.grant}`, async () => {
      assert.deepEqual((await resolveAs(attack.service, attack.grant)).problems, []);
    });
  }

  it('holds a port grant to its address and range', async () => {
    const grant = '{ ports: ["127.0.0.1:8000-8099"] }';
    for (const port of ['"8080:80"', '"127.0.0.1:8100:80"', '"0.0.0.0:8080:80"'])
      assert.equal((await resolveAs(`    ports: [${port}]`, grant)).problems.length, 1, port);
    assert.equal((await resolveAs('    ports: ["127.0.0.1:8099:80"]', grant)).problems.length, 0);
  });

  it('refuses a port without a host port: the engine would pick one on every interface', async () => {
    const { problems } = await resolveAs('    ports: ["80"]', '{ ports: ["0.0.0.0:1-65535"] }');
    assert.match(problems[0]?.message ?? '', /must name the host port/);
  });

  it('lets a tenant use what stays inside its deployment without any grant', async () => {
    const service = [
      '    network_mode: "service:peer"',
      '    cap_drop: [ALL]',
      '    read_only: true',
      '    tmpfs: [/tmp]',
      '    user: "1000"',
      '    extra_hosts: ["broker:10.0.0.5"]',
      '    logging: { driver: json-file, options: { max-size: 10m } }',
      '    healthcheck: { test: [CMD, "true"] }',
    ].join('\n');
    assert.deepEqual((await resolveAs(service)).problems, []);
  });

  it('reports every violation of a service, not only the first', async () => {
    const { problems } = await resolveAs(
      '    privileged: true\n    cap_add: [SYS_PTRACE]\n    sysctls: [kernel.msgmax=1]\n',
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'services.app.cap_add[0]',
      'services.app.privileged',
      'services.app.sysctls["kernel.msgmax"]',
    ]);
  });
});

describe("tenant policy: joining what is not the tenant's", () => {
  it('never lets a tenant join a container outside its deployment', async () => {
    for (const service of [
      '    network_mode: container:gateway-agent',
      '    pid: container:gateway-agent',
      '    volumes_from: [container:gateway-agent]',
    ]) {
      const grantAll = '{ hostNetwork: true, bridgeNetwork: true, hostNamespaces: [pid, ipc] }';
      const { problems } = await resolveAs(service, grantAll);
      assert.equal(problems.length, 1, service);
      assert.match(problems[0]?.message ?? '', /gateway-agent/);
    }
  });

  it('gates external networks and volumes, network drivers, and volumes bound to host paths', async () => {
    const stack = `services:\n  app:\n    image: registry.test/app:1\n    networks: [proxy, lan]\n    volumes: [shared:/shared, etc:/etc-host]\nnetworks:\n  proxy: { external: true }\n  lan: { driver: macvlan, driver_opts: { parent: eth0 } }\nvolumes:\n  shared: { external: true, name: operator-data }\n  etc: { driver_opts: { type: none, o: bind, device: /etc } }\n`;
    const resolve = async (grant: string) =>
      resolveDevice(
        await load(
          fleetFiles(
            deployment,
            { d: 'labels: {}' },
            { 'stacks/app': stack },
            `policy:\n  tenants:\n    acme: ${grant}\n`,
          ),
        ),
        'd',
      )
        .problems.map((p) => `${p.path}: ${p.message}`)
        .sort();
    assert.deepEqual(await resolve('{}'), [
      "networks.lan.driver: tenant 'acme' may not use the macvlan network driver",
      "networks.proxy.external: tenant 'acme' may not join network proxy",
      "volumes.etc.driver_opts.device: tenant 'acme' may not bind-mount /etc",
      "volumes.shared.external: tenant 'acme' may not mount volume operator-data",
    ]);
    assert.deepEqual(
      await resolve(
        '{ externalNetworks: [proxy], networkDrivers: [macvlan], externalVolumes: [operator-data], bindMounts: [/etc] }',
      ),
      [],
    );
  });

  it('treats a secret file on the device as a bind mount of that file', async () => {
    const stack = `services:\n  app:\n    image: registry.test/app:1\n    secrets: [shadow]\nsecrets:\n  shadow: { file: /etc/shadow }\n`;
    const files = fleetFiles(
      deployment,
      { d: 'labels: {}' },
      { 'stacks/app': stack },
      'policy:\n  tenants:\n    acme: {}\n',
    );
    const { problems } = resolveDevice(await load(files), 'd');
    assert.match(problems.map((p) => p.message).join('\n'), /may not bind-mount \/etc\/shadow/);
  });

  it("prefixes a tenant's container and network names with the tenant", async () => {
    const stack = `services:\n  app:\n    image: registry.test/app:1\n    container_name: web\n    networks: [front]\nnetworks:\n  front: { name: frontend }\n`;
    const files = fleetFiles(
      deployment,
      { d: 'labels: {}' },
      { 'stacks/app': stack },
      'policy:\n  tenants:\n    acme: {}\n',
    );
    const state = resolveDevice(await load(files), 'd').state;
    assert.equal(state?.deployments[0]?.services[0]?.containerName, 'acme_web');
    assert.equal(state?.deployments[0]?.networks[0]?.engineName, 'acme_frontend');
  });
});

describe('docs/fleet-format.md', () => {
  it('lists every service key of the schema, and every key Ferry refuses, in its Compose keys table', async () => {
    const { readFile } = await import('node:fs/promises');
    const docs = await readFile(new URL('../../../docs/fleet-format.md', import.meta.url), 'utf8');
    const table = docs.slice(docs.indexOf('## Compose keys'));
    const listed = new Set([...table.matchAll(/^\| `([a-z_]+)` +\|/gm)].map((m) => m[1]));
    const { REFUSED_SERVICE_KEYS } = await import('#kernel/fleet/refused-keys.js');
    for (const key of [...Object.keys(SERVICE_KEYS), ...Object.keys(REFUSED_SERVICE_KEYS)])
      assert.ok(listed.has(key), `docs/fleet-format.md does not list '${key}'`);
  });
});
