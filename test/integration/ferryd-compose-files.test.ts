// Configuration shipped from the repository, as the gateway stacks people publish do it: a broker
// reading its config file and keeping data in a folder beside it, a collector reading a folder
// of its own. Against the real engine, registry and git server.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  cleanDevice,
  deviceContainers,
  execIn,
  ferrydOnce,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { docker } from '../helpers/images.js';
import type { FleetRepo } from '../helpers/fleet-repo.js';

const device = uniqueDevice('files');
const SECRET = `s3cret-${process.pid}`;
let repo: FleetRepo;
let setup: FerrydSetup;
let image: string;

const health = `healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 3 }`;
const compose = (brokerCommand = 'exec httpd -f -p 8080 -h /www') => `services:
  broker:
    image: ${image}
    command: ["sh", "-c", "date >> /data/boots; cp /etc/broker/broker.conf /www/index.html; ${brokerCommand}"]
    volumes:
      - ./broker/broker.conf:/etc/broker/broker.conf
      - ./broker/data:/data
    ${health}
  collector:
    image: ${image}
    command: ["sleep", "3600"]
    volumes: ["./collector:/etc/collector"]
    configs:
      - site
      - { source: limits, target: /etc/limits.conf, mode: 0440 }
    secrets: [token]
    depends_on: [broker]
configs:
  site: { content: "site=\${SITE}" }
  limits: { file: ./limits.conf }
secrets:
  token: { environment: FERRY_TEST_TOKEN }
`;

const container = (service: string) => `${device}.iot.${service}`;
const cat = async (service: string, path: string) =>
  (await execIn(container(service), `cat ${path}`)).output;
const ids = async () =>
  Object.fromEntries([...(await deviceContainers(device))].map(([name, c]) => [name, c.id]));
const once = () => ferrydOnce(setup, { env: { FERRY_TEST_TOKEN: SECRET } });

before(async () => {
  image = await pushWebAppImage();
  ({ repo, setup } = await oneStackFleet(
    'compose-files',
    device,
    {
      'stacks/iot/compose.yaml': compose(),
      'stacks/iot/broker/broker.conf': 'listener 1883\nversion 1\n',
      'stacks/iot/collector/collector.conf': 'interval = "10s"\n',
      'stacks/iot/collector/inputs.d/mqtt.conf': 'topics = ["sensors/#"]\n',
      'stacks/iot/limits.conf': 'max = 10\n',
    },
    { healthTimeout: '20s', vars: '{ SITE: vienna }' },
  ));
});

after(async () => {
  await cleanDevice(device);
  await repo?.remove();
});

describe('files from the repository on the device', () => {
  it('mounts shipped files read-only, data folders writable, configs and secrets as files', async () => {
    await repo.commit('iot v1');
    const { result, report } = await once();
    assert.equal(report.converged, true, result.stdout + result.stderr);
    assert.equal(await cat('broker', '/etc/broker/broker.conf'), 'listener 1883\nversion 1\n');
    assert.equal(
      await cat('collector', '/etc/collector/inputs.d/mqtt.conf'),
      'topics = ["sensors/#"]\n',
    );
    assert.equal(await cat('collector', '/site'), 'site=vienna');
    assert.equal(await cat('collector', '/etc/limits.conf'), 'max = 10\n');
    assert.equal(await cat('collector', '/run/secrets/token'), SECRET);
    assert.equal(
      (await execIn(container('collector'), 'stat -c %a /etc/limits.conf')).output.trim(),
      '440',
    );
    // The repository's content is not the container's to change.
    const write = await execIn(container('broker'), 'echo x >> /etc/broker/broker.conf');
    assert.notEqual(write.code, 0);
    const mounts = (await docker.getContainer(container('broker')).inspect()).Mounts;
    const data = mounts.find((m) => m.Destination === '/data');
    assert.equal(data?.RW, true);
    assert.ok(data?.Source.startsWith(`${setup.stateDir}/data/`), data?.Source);
    assert.equal((await cat('broker', '/data/boots')).trim().split('\n').length, 1);
    // Secrets are never in the status or the logs.
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET));
    assert.ok(!(await readFile(`${setup.stateDir}/state.json`, 'utf8')).includes(SECRET));
  });

  it('recreates only the service whose shipped file changed, and keeps the data folder', async () => {
    const before = await ids();
    await writeFleet(repo.workTree, {
      'stacks/iot/collector/collector.conf': 'interval = "30s"\n',
    });
    await repo.commit('collector: slower');
    const { report } = await once();
    assert.equal(report.converged, true);
    const afterCollector = await ids();
    assert.equal(
      afterCollector[container('broker')],
      before[container('broker')],
      'broker untouched',
    );
    assert.notEqual(afterCollector[container('collector')], before[container('collector')]);
    assert.equal(await cat('collector', '/etc/collector/collector.conf'), 'interval = "30s"\n');

    await writeFleet(repo.workTree, {
      'stacks/iot/broker/broker.conf': 'listener 1883\nversion 2\n',
    });
    await repo.commit('broker: v2');
    assert.equal((await once()).report.converged, true);
    const afterBroker = await ids();
    assert.notEqual(afterBroker[container('broker')], afterCollector[container('broker')]);
    assert.equal(afterBroker[container('collector')], afterCollector[container('collector')]);
    assert.equal(await cat('broker', '/etc/broker/broker.conf'), 'listener 1883\nversion 2\n');
    assert.equal(
      (await cat('broker', '/data/boots')).trim().split('\n').length,
      2,
      'data survived',
    );
  });

  it('rolls a failed update back to the previous content of the file', async () => {
    await writeFleet(repo.workTree, {
      'stacks/iot/broker/broker.conf': 'listener 1883\nversion 3\n',
      'stacks/iot/compose.yaml': compose('exec sleep 3600'),
    });
    await repo.commit('broker: v3, never healthy');
    const { report } = await once();
    assert.equal(report.converged, false);
    assert.equal(report.deployments[0]?.status, 'rolled-back');
    assert.equal(report.deployments[0]?.code, 'FERRY_HEALTH');
    assert.equal(await cat('broker', '/etc/broker/broker.conf'), 'listener 1883\nversion 2\n');
    assert.equal((await cat('broker', '/data/boots')).trim().split('\n').length >= 3, true);
  });
});
