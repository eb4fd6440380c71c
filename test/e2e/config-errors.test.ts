/**
 * `aeraki up` with config that breaks Aeraki's rules: it refuses to start, exits non-zero, and says
 * which file and field broke which rule — as a message, never a stack trace.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createConfigDir,
  destination,
  metaRouter,
  runAeraki,
  testAddress,
  thriftServiceEntry,
  toYaml,
  type ConfigDocument,
} from './harness/index.js';

const HOST = 'bad.e2e.svc.cluster.local';

const serviceEntry = thriftServiceEntry({
  name: 'bad',
  host: HOST,
  addresses: [testAddress(4)],
  port: 9090,
  endpoints: [{ address: '127.0.0.1', port: 1, labels: { version: 'v1' } }],
});

interface Case {
  readonly name: string;
  readonly file: string;
  readonly content: string;
  /** The field path the message must name. */
  readonly field: string;
}

const cases: Case[] = [
  {
    name: 'route weights that do not add up to 100',
    file: 'bad-weights.yaml',
    content: toYaml([
      metaRouter({
        name: 'bad-weights',
        host: HOST,
        routes: [{ name: 'split', route: [destination(HOST, 'v1', 30), destination(HOST, 'v2', 60)] }],
      }),
    ]),
    field: 'spec.routes[0].route',
  },
  {
    name: 'a MetaRouter with two hosts',
    file: 'two-hosts.yaml',
    content: toYaml([
      {
        ...metaRouter({ name: 'two-hosts', host: HOST, routes: [{ name: 'r', route: [destination(HOST)] }] }),
        spec: {
          hosts: [HOST, 'other.e2e.svc.cluster.local'],
          routes: [{ name: 'r', route: [destination(HOST)] }],
        },
      } satisfies ConfigDocument,
    ]),
    field: 'spec.hosts',
  },
  {
    name: 'a regex RE2 rejects',
    file: 'bad-regex.yaml',
    content: toYaml([
      metaRouter({
        name: 'bad-regex',
        host: HOST,
        routes: [
          {
            name: 'lookahead',
            match: { attributes: { method: { regex: '^say(?=Hello)' } } },
            route: [destination(HOST)],
          },
        ],
      }),
    ]),
    field: 'spec.routes[0].match.attributes.method',
  },
  {
    name: 'YAML that does not parse',
    file: 'broken.yaml',
    content: 'apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: MetaRouter\nspec:\n  hosts: [unclosed\n',
    field: '',
  },
];

/** A line of a Node.js stack trace. */
const STACK_LINE = /^\s+at .+(\(.+:\d+:\d+\)|:\d+:\d+)$/m;

describe('aeraki up refuses invalid config', () => {
  for (const c of cases) {
    test(c.name, { timeout: 20000 }, async () => {
      const dir = await createConfigDir({ 'service.yaml': [serviceEntry], [c.file]: c.content });
      try {
        const result = await runAeraki(['up', dir.path, '--admin', '127.0.0.1:0'], 15000);
        const output = `${result.stdout}\n${result.stderr}`;
        assert.notEqual(result.code, 0, `exit code ${result.code}, signal ${result.signal}\n${output}`);
        assert.equal(result.signal, null, 'it exits by itself');
        assert.match(
          result.stderr,
          new RegExp(`${c.file.replace('.', '\\.')}:\\d+:\\d+`),
          'names file and line',
        );
        if (c.field !== '')
          assert.ok(result.stderr.includes(c.field), `names field ${c.field}:\n${result.stderr}`);
        assert.match(result.stderr, /rule [\w-]+/, 'names the rule');
        assert.doesNotMatch(output, STACK_LINE, 'no stack trace');
      } finally {
        await dir.remove();
      }
    });
  }
});
