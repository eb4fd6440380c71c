/**
 * `aeraki up DIR` follows DIR however it is written, with the periodic re-scan off so that only the
 * file-system events can tell it: a MetaRouter renamed over 200 times 20 ms apart (the last edit
 * wins within a second), `sed -i`, files and folders added and removed, and a Kubernetes ConfigMap
 * volume whose `..data` symlink is swapped. Each change is checked where it matters: the route the
 * proxy serves (`/config_dump`) and the server a real Apache Thrift client reaches through it. The
 * control plane's `/config` and `aeraki status` name the version served and the files it came from.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigStatus } from '../../src/control-plane/control-plane.js';
import type { ProxySnapshot } from '../../src/xds/resources.js';
import {
  adminAddress,
  adminGet,
  ConfigMapVolume,
  connectHello,
  createConfigDir,
  destination,
  freePort,
  metaRouter,
  renameOver,
  runAeraki,
  sedInPlace,
  startAeraki,
  startVersionedHelloServers,
  testAddress,
  toYaml,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const HOST = 'watch.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'buffered' };
/** The issue's bound: the last edit is served within a second of being written. */
const SERVED_WITHIN_MS = 1000;
/** Only file-system events may tell `aeraki up` of a change in these tests. */
const EVENTS_ONLY = ['--config-rescan', '0'];

let v1: HelloServer | undefined;
let v2: HelloServer | undefined;

before(async () => {
  [v1, v2] = await startVersionedHelloServers(STACK);
});

after(async () => {
  await Promise.all([v1?.close(), v2?.close()]);
});

/** The MetaRouter text: one route named `name` to `subset`. */
function router(name: string, subset: 'v1' | 'v2'): string {
  return toYaml([
    metaRouter({ name: 'watch', host: HOST, routes: [{ name, route: [destination(HOST, subset)] }] }),
  ]);
}

/** A running `aeraki up` over one versioned Thrift service, with a client connected through it. */
class Mesh {
  private constructor(
    readonly aeraki: AerakiProcess,
    readonly hello: HelloConnection,
  ) {}

  /** The service's YAML for a proxy listening on `address:port`. */
  static service(address: string, port: number): string {
    return toYaml(versionedThriftService({ name: 'watch', host: HOST, address, port, v1: v1!, v2: v2! }));
  }

  static async start(
    dir: string,
    address: string,
    port: number,
    args: readonly string[] = [],
  ): Promise<Mesh> {
    const aeraki = await startAeraki(dir, {
      extraArgs: [...EVENTS_ONLY, ...args],
      listeners: [{ host: address, port }],
    });
    const hello = await connectHello(address, port, { stack: STACK });
    return new Mesh(aeraki, hello);
  }

  async stop(): Promise<void> {
    await this.hello.close();
    await this.aeraki.stop();
  }

  /** The name of the route the proxy serves for the service. */
  async servedRoute(): Promise<string | undefined> {
    const snapshot = await adminGet<ProxySnapshot | null>(this.aeraki, '/config_dump');
    return snapshot?.routes.find(r => r.name.startsWith(HOST))?.routes[0]?.name;
  }

  /**
   * Resolves once the proxy serves route `name` and calls reach `subset`; fails if that takes more
   * than `ms` from `since` (when the edit was written).
   */
  async served(name: string, subset: 'v1' | 'v2', since: number, ms = SERVED_WITHIN_MS): Promise<void> {
    for (;;) {
      const route = await this.servedRoute();
      const reached = route === name ? await this.hello.client.whoami() : undefined;
      if (reached === versionTag(subset)) return;
      if (Date.now() - since > ms) {
        throw new Error(
          `${ms} ms after the edit the proxy serves route ${route} (calls reach ${reached ?? '-'}), not ${name} to ${subset}\n${this.aeraki.outputTail()}`,
        );
      }
      await sleep(20);
    }
  }

  async configStatus(): Promise<ConfigStatus> {
    const response = await fetch(`http://${adminAddress(this.aeraki, 'controlPlaneAdmin')}/config`);
    return (await response.json()) as ConfigStatus;
  }

  /** The control plane's `/config` once `done` holds for it (within 5 s). */
  async statusWhen(done: (status: ConfigStatus) => boolean): Promise<ConfigStatus> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const status = await this.configStatus();
      if (done(status)) return status;
      assert.ok(Date.now() < deadline, JSON.stringify(status));
      await sleep(50);
    }
  }
}

describe('a plain directory', () => {
  const address = testAddress(64);
  let dir = '';
  let staging = '';
  let mesh: Mesh | undefined;

  before(
    async () => {
      const port = await freePort(address);
      const config = await createConfigDir({ 'service.yaml': Mesh.service(address, port) });
      dir = config.path;
      await config.write('router.yaml', router('edit-0', 'v1'));
      staging = await mkdtemp(join(tmpdir(), 'aeraki-staging-'));
      mesh = await Mesh.start(dir, address, port, ['--config-max-file-size', '1MiB']);
    },
    { timeout: 30000 },
  );

  after(
    async () => {
      await mesh?.stop();
      await Promise.all([
        rm(dir, { recursive: true, force: true }),
        rm(staging, { recursive: true, force: true }),
      ]);
    },
    { timeout: 15000 },
  );

  test(
    '200 rename-over edits 20 ms apart: the last one is served within a second',
    { timeout: 30000 },
    async () => {
      assert.equal(await mesh!.servedRoute(), 'edit-0');
      let lastEdit = 0;
      for (let i = 1; i <= 200; i++) {
        // Staged outside DIR, as config-management tools do: DIR sees no new name, only a new inode.
        await renameOver(join(dir, 'router.yaml'), router(`edit-${i}`, i % 2 === 0 ? 'v2' : 'v1'), staging);
        lastEdit = Date.now();
        await sleep(20);
      }
      await mesh!.served('edit-200', 'v2', lastEdit);
      const status = await mesh!.configStatus();
      assert.ok(Date.parse(status.loadedAt ?? '') >= lastEdit, `loaded at ${status.loadedAt}`);
      assert.deepEqual(status.files, [join(dir, 'router.yaml'), join(dir, 'service.yaml')]);
    },
  );

  test('sed -i, edit after edit', { timeout: 15000 }, async () => {
    await renameOver(join(dir, 'router.yaml'), router('sed-0', 'v1'));
    await mesh!.served('sed-0', 'v1', Date.now());
    for (let i = 1; i <= 3; i++) {
      const subset = i % 2 === 0 ? 'v1' : 'v2';
      const from = i % 2 === 0 ? 'v2' : 'v1';
      await sedInPlace(
        join(dir, 'router.yaml'),
        `s/sed-${i - 1}/sed-${i}/; s/subset: ${from}/subset: ${subset}/`,
      );
      await mesh!.served(`sed-${i}`, subset, Date.now());
    }
  });

  test('files and folders added and removed', { timeout: 15000 }, async () => {
    // The router moves into a folder made after the watch started, two levels down.
    await mkdir(join(dir, 'routes/thrift'), { recursive: true });
    await renameOver(join(dir, 'routes/thrift/router.yaml'), router('in-folder', 'v2'));
    await rm(join(dir, 'router.yaml'));
    await mesh!.served('in-folder', 'v2', Date.now());
    await renameOver(join(dir, 'routes/thrift/router.yaml'), router('in-folder-edited', 'v1'));
    await mesh!.served('in-folder-edited', 'v1', Date.now());
    // The folder goes, a file comes back.
    await renameOver(join(dir, 'router.yaml'), router('back', 'v2'));
    await rm(join(dir, 'routes'), { recursive: true });
    await mesh!.served('back', 'v2', Date.now());
    assert.deepEqual((await mesh!.configStatus()).files, [
      join(dir, 'router.yaml'),
      join(dir, 'service.yaml'),
    ]);
  });

  test(
    'aeraki status shows the version served, when it was read and from which files',
    { timeout: 15000 },
    async () => {
      const controlPlane = adminAddress(mesh!.aeraki, 'controlPlaneAdmin');
      const status = await mesh!.configStatus();
      const human = await runAeraki(['status', '--control-plane', controlPlane]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(
        human.stdout,
        new RegExp(`config ${status.version} read at ${status.loadedAt} from 2 files in ${dir}`),
      );
      assert.match(human.stdout, /^ {2}router\.yaml$/m);
      assert.match(human.stdout, /^ {2}service\.yaml$/m);
      assert.match(human.stdout, /\d+ directories watched, no periodic re-scan/);
      const json = await runAeraki(['status', '--control-plane', controlPlane, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const whole = JSON.parse(json.stdout) as { config: ConfigStatus; nodes: unknown[] };
      assert.equal(whole.config.version, status.version);
      assert.equal(whole.config.fileCount, 2);
      assert.equal(whole.nodes.length, 1);
    },
  );

  test(
    'a rejected edit shows in /config and aeraki status while the last good config serves',
    { timeout: 15000 },
    async () => {
      await renameOver(join(dir, 'router.yaml'), router('good', 'v1'));
      await mesh!.served('good', 'v1', Date.now());
      await renameOver(join(dir, 'router.yaml'), router('bad', 'v2').replace('subset: v2', 'subset: [v2'));
      const status = await mesh!.statusWhen(s => s.lastLoad?.result === 'rejected');
      assert.equal(status.lastLoad?.issues[0]?.file, join(dir, 'router.yaml'));
      assert.equal(await mesh!.servedRoute(), 'good');
      const human = await runAeraki([
        'status',
        '--control-plane',
        adminAddress(mesh!.aeraki, 'controlPlaneAdmin'),
      ]);
      assert.match(human.stdout, /last load at \S+ rejected: 1 error; the config above keeps serving/);
      assert.match(human.stdout, /router\.yaml:\d+:\d+: error: /);
    },
  );

  test(
    'a file over --config-max-file-size is refused unread while the last good config serves',
    { timeout: 15000 },
    async () => {
      await renameOver(join(dir, 'router.yaml'), router('before-huge', 'v2'));
      await mesh!.served('before-huge', 'v2', Date.now());
      await writeFile(join(dir, 'huge.yaml'), Buffer.alloc(2 * 1024 * 1024, 0xff));
      const status = await mesh!.statusWhen(s => s.lastLoad?.result === 'rejected');
      assert.deepEqual(
        status.lastLoad?.issues.map(i => [i.file, i.rule]),
        [[join(dir, 'huge.yaml'), 'config-file-too-large']],
      );
      assert.equal(await mesh!.servedRoute(), 'before-huge');
      await rm(join(dir, 'huge.yaml'));
      await renameOver(join(dir, 'router.yaml'), router('after-huge', 'v1'));
      await mesh!.served('after-huge', 'v1', Date.now());
    },
  );
});

describe('a Kubernetes ConfigMap volume', () => {
  const address = testAddress(65);
  let dir = '';
  let volume: ConfigMapVolume | undefined;
  let service = '';
  let mesh: Mesh | undefined;

  before(
    async () => {
      const port = await freePort(address);
      dir = await mkdtemp(join(tmpdir(), 'aeraki-configmap-'));
      service = Mesh.service(address, port);
      volume = await ConfigMapVolume.create(dir, {
        'service.yaml': service,
        'router.yaml': router('cm-0', 'v1'),
      });
      mesh = await Mesh.start(dir, address, port);
    },
    { timeout: 30000 },
  );

  after(
    async () => {
      await mesh?.stop();
      await rm(dir, { recursive: true, force: true });
    },
    { timeout: 15000 },
  );

  test(
    'every swap of ..data is served within a second; hidden entries are never read',
    { timeout: 20000 },
    async () => {
      assert.equal(await mesh!.servedRoute(), 'cm-0');
      for (let i = 1; i <= 6; i++) {
        const subset = i % 2 === 0 ? 'v1' : 'v2';
        await volume!.update({ 'service.yaml': service, 'router.yaml': router(`cm-${i}`, subset) });
        await mesh!.served(`cm-${i}`, subset, Date.now());
      }
      assert.deepEqual((await mesh!.configStatus()).files, [
        join(dir, 'router.yaml'),
        join(dir, 'service.yaml'),
      ]);
    },
  );

  test('a key added and another removed in one update', { timeout: 15000 }, async () => {
    await volume!.update({ 'service.yaml': service, 'routes.yaml': router('renamed-key', 'v2') });
    await mesh!.served('renamed-key', 'v2', Date.now());
    assert.deepEqual((await mesh!.configStatus()).files, [
      join(dir, 'routes.yaml'),
      join(dir, 'service.yaml'),
    ]);
  });
});
