/**
 * The files `aeraki codec init` writes: a TypeScript codec plugin for an example protocol that
 * builds, passes the codec test kit and routes as soon as it is written, for the author to turn into
 * their own protocol (docs/codec-tutorial.md walks through it).
 *
 * The example protocol (big-endian): frame = length:u32 kind:u8 id:u32 method-length:u8 method
 * payload, where length counts the bytes after itself and kind is 1 call, 2 reply, 3 error reply.
 */

/** What the templates are filled with. */
export interface ScaffoldNames {
  /** The protocol, as in port names: `acme`. */
  readonly protocol: string;
  /** `Acme`, `acmeCodecFactory`. */
  readonly className: string;
  readonly factoryName: string;
  /** The aeraki installation the plugin builds and runs against (absolute). */
  readonly aerakiRoot: string;
}

/** One frame of the example protocol, as commented hex for a fixture file. */
function exampleFrame(kind: number, id: number, method: string, payload: string): string {
  const m = Buffer.from(method, 'utf8');
  const p = Buffer.from(payload, 'utf8');
  const length = 1 + 4 + 1 + m.length + p.length;
  const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');
  const kinds = ['', 'call', 'reply', 'error reply'];
  return [
    `  ${hex(length, 4)}${' '.repeat(24 - 8)}# length: ${length} bytes follow`,
    `  ${hex(kind, 1)}${' '.repeat(24 - 2)}# kind: ${kinds[kind]}`,
    `  ${hex(id, 4)}${' '.repeat(24 - 8)}# id: ${id}`,
    `  ${hex(m.length, 1)} ${m.toString('hex')}${' '.repeat(Math.max(1, 21 - m.length * 2))}# method: ${method}`,
    `  ${p.toString('hex')}${' '.repeat(Math.max(1, 24 - p.length * 2))}# payload: ${payload}`,
  ].join('\n');
}

/** Every file of the scaffold, by path relative to its folder. */
export function scaffoldFiles(n: ScaffoldNames): Record<string, string> {
  const { protocol, className, factoryName, aerakiRoot } = n;
  const tsc = `${aerakiRoot}/node_modules/typescript/bin/tsc`;
  const aeraki = `${aerakiRoot}/bin/aeraki`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: `aeraki-codec-${protocol}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: './dist/src/index.js',
        scripts: {
          build: `node ${tsc} -p .`,
          test: `npm run build && node --import ${aerakiRoot}/dist/src/plugins/register-sdk.js --test dist/test/ && node ${aeraki} codec test . --fixtures fixtures`,
          demo: `node ${aeraki} up config --plugin . --admin 127.0.0.1:0 --control-plane-admin 127.0.0.1:0`,
        },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: ['node'],
          typeRoots: [`${aerakiRoot}/node_modules/@types`],
          rootDir: '.',
          outDir: 'dist',
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          paths: { 'aeraki/codec': [`${aerakiRoot}/dist/src/codec/index.d.ts`] },
        },
        include: ['src', 'test'],
      },
      null,
      2,
    )}\n`,
    'src/index.ts': `/**
 * The plugin: \`aeraki up DIR --plugin <this folder>\` registers its codec. A plugin imports only
 * \`aeraki/codec\`, which resolves to the aeraki that loads it.
 */
import type { CodecPlugin } from 'aeraki/codec';
import { ${factoryName} } from './codec.js';

const plugin: CodecPlugin = { sdkVersion: '^1.0.0', codecs: [${factoryName}] };
export default plugin;
`,
    'src/codec.ts': `/**
 * The ${protocol} codec. It ships with an example wire format: replace it with your protocol's.
 *
 * Wire grammar (big-endian):
 *   frame  = length:u32 kind:u8 id:u32 method-length:u8 method payload
 *   length = the number of bytes after the length field
 *   kind   = 1 call | 2 reply | 3 error reply
 *
 * Metadata: \`method\` (routes match on it). The id is the request id: the proxy rewrites it to share
 * upstream connections between clients. Local replies are error replies whose payload says why.
 */
import {
  CodecError,
  createMessage,
  ErrorCodes,
  malformed,
  Metadata,
  type ByteQueue,
  type Codec,
  type CodecFactory,
  type CodecSide,
  type EncodeOptions,
  type LocalReply,
  type Message,
} from 'aeraki/codec';

/** length, kind, id and method-length. */
const HEADER = 10;
const MAX_FRAME = 1024 * 1024;
const CALL = 1;
const REPLY = 2;
const ERROR_REPLY = 3;

export class ${className}Codec implements Codec {
  constructor(private readonly side: CodecSide) {}

  decode(input: ByteQueue): Message | undefined {
    // Wait for the length, refuse what cannot be a frame, wait for the whole frame, then take it.
    if (input.length < 4) return undefined;
    const size = 4 + input.u32(0);
    if (size < HEADER) throw malformed(\`frame of \${size} bytes is shorter than its header\`);
    if (size > MAX_FRAME) throw new CodecError(ErrorCodes.CODEC_TOO_LARGE, \`frame of \${size} bytes\`);
    if (input.length < size) return undefined;
    const bytes = input.take(size);
    const kind = bytes[4]!;
    const id = bytes.readUInt32BE(5);
    const methodLength = bytes[9]!;
    if (HEADER + methodLength > size) throw malformed('method longer than the frame');
    const method = bytes.toString('utf8', HEADER, HEADER + methodLength);
    const metadata = new Metadata();
    metadata.set('method', method);
    if (this.side === 'downstream') {
      if (kind !== CALL) throw malformed(\`a client sent kind \${kind}; clients send calls (1)\`);
      return createMessage('request', id, bytes, metadata, undefined, 'ok', method);
    }
    if (kind !== REPLY && kind !== ERROR_REPLY) throw malformed(\`a server sent kind \${kind}\`);
    const ok = kind === REPLY;
    return createMessage(ok ? 'response' : 'error', id, bytes, metadata, undefined, ok ? 'ok' : 'error', method);
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    const id = options?.requestId;
    if (id !== undefined) message.bytes.writeUInt32BE(Number(id), 5);
    // options.mutation holds headers the proxy asks to add. This protocol has no header section, so
    // they are dropped; write them here if yours has one.
    return message.bytes;
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    const method = Buffer.from(request?.metadata.get('method') ?? '', 'utf8').subarray(0, 255);
    const text = Buffer.from(\`\${reply.kind}: \${reply.message}\`, 'utf8');
    const frame = Buffer.alloc(HEADER + method.length + text.length);
    frame.writeUInt32BE(frame.length - 4, 0);
    frame[4] = ERROR_REPLY;
    frame.writeUInt32BE(Number(request?.requestId ?? 0), 5);
    frame[9] = method.length;
    method.copy(frame, HEADER);
    text.copy(frame, HEADER + method.length);
    return frame;
  }
}

export const ${factoryName}: CodecFactory = {
  name: 'aeraki.meta_protocol.codec.${protocol}',
  capabilities: { requestIds: true, heartbeats: false, streaming: false, serverSpeaksFirst: false },
  create: side => new ${className}Codec(side),
};
`,
    'test/codec.test.ts': `/**
 * The codec test kit on the fixtures in fixtures/: each whole, byte by byte, split at every boundary,
 * truncated, re-encoded, answered with local replies, and mutated at random.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCodecFixtures, runCodecTestKit } from 'aeraki/codec';
import { ${factoryName} } from '../src/codec.js';

const fixtures = await loadCodecFixtures(fileURLToPath(new URL('../../fixtures', import.meta.url)));
runCodecTestKit(${factoryName}, fixtures, { test });
`,
    'fixtures/call.yaml': `# A client's call, as a ${protocol} client sends it. Replace with real bytes of your protocol.
name: call sayHello
hex: |
${exampleFrame(1, 7, 'sayHello', 'world')}
expect:
  - { type: request, requestId: 7, operation: sayHello, metadata: { method: sayHello } }
`,
    'fixtures/reply.yaml': `# A server's reply to that call.
name: reply to sayHello
side: upstream
hex: |
${exampleFrame(2, 7, 'sayHello', 'hello world')}
expect:
  - { type: response, requestId: 7, status: ok }
`,
    'demo/wire.mjs': `// The example protocol for the demo server and client (plain Node, no SDK).
export function frame(kind, id, method, payload) {
  const m = Buffer.from(method);
  const p = Buffer.from(payload);
  const out = Buffer.alloc(10 + m.length + p.length);
  out.writeUInt32BE(out.length - 4, 0);
  out[4] = kind;
  out.writeUInt32BE(id, 5);
  out[9] = m.length;
  m.copy(out, 10);
  p.copy(out, 10 + m.length);
  return out;
}

/** Calls onFrame(kind, id, method, payload) for each whole frame read from socket. */
export function readFrames(socket, onFrame) {
  let buffered = Buffer.alloc(0);
  socket.on('data', chunk => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const f = buffered.subarray(0, 4 + buffered.readUInt32BE(0));
      buffered = buffered.subarray(f.length);
      onFrame(f[4], f.readUInt32BE(5), f.subarray(10, 10 + f[9]).toString(), f.subarray(10 + f[9]).toString());
    }
  });
}
`,
    'demo/server.mjs': `// node demo/server.mjs NAME PORT: a ${protocol} server that answers every call with its NAME.
import { createServer } from 'node:net';
import { frame, readFrames } from './wire.mjs';

const [name = 'v1', port = '9101'] = process.argv.slice(2);
createServer(socket => {
  readFrames(socket, (kind, id, method, payload) => socket.write(frame(2, id, method, \`\${name}: hello \${payload}\`)));
}).listen(Number(port), '127.0.0.1', () => console.log(\`\${name} listening on 127.0.0.1:\${port}\`));
`,
    'demo/client.mjs': `// node demo/client.mjs HOST:PORT METHOD [PAYLOAD]: one ${protocol} call; prints the reply.
import { connect } from 'node:net';
import { frame, readFrames } from './wire.mjs';

const [target = '127.0.60.1:9100', method = 'sayHello', payload = 'world'] = process.argv.slice(2);
const [host, port] = target.split(':');
const socket = connect(Number(port), host, () => socket.write(frame(1, 1, method, payload)));
readFrames(socket, (kind, id, m, reply) => {
  console.log(\`\${kind === 2 ? 'reply' : 'error reply'} to \${m}: \${reply}\`);
  socket.end();
});
`,
    [`config/${protocol}.yaml`]: `# The demo service: clients call 127.0.60.1:9100; sayHello goes to v2, every other method to v1.
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata:
  name: ${protocol}
spec:
  protocol: ${protocol}
  codec: aeraki.meta_protocol.codec.${protocol}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: ${protocol}-demo
  namespace: default
spec:
  hosts: [${protocol}-demo.default.svc.cluster.local]
  addresses: [127.0.60.1]
  ports:
    - { number: 9100, name: tcp-metaprotocol-${protocol}-demo, protocol: TCP }
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints:
    - { address: 127.0.0.1, ports: { tcp-metaprotocol-${protocol}-demo: 9101 }, labels: { version: v1 } }
    - { address: 127.0.0.1, ports: { tcp-metaprotocol-${protocol}-demo: 9102 }, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: ${protocol}-demo
  namespace: default
spec:
  host: ${protocol}-demo.default.svc.cluster.local
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: ${protocol}-demo
  namespace: default
spec:
  hosts: [${protocol}-demo.default.svc.cluster.local]
  routes:
    - name: hello-to-v2
      match: { attributes: { method: { exact: sayHello } } }
      route: [{ destination: { host: ${protocol}-demo.default.svc.cluster.local, subset: v2 } }]
    - name: default
      route: [{ destination: { host: ${protocol}-demo.default.svc.cluster.local, subset: v1 } }]
`,
    'README.md': `# aeraki-codec-${protocol}

A codec plugin for aeraki, made by \`aeraki codec init ${protocol}\`. It builds and runs against the
aeraki in \`${aerakiRoot}\` (the paths in package.json and tsconfig.json): nothing to install.

\`\`\`sh
npm run build          # TypeScript → dist/
npm test               # the codec test kit on fixtures/, as node:test and as 'aeraki codec test'
npm run demo           # aeraki up config --plugin . (the demo service of config/${protocol}.yaml)
node demo/server.mjs v1 9101 & node demo/server.mjs v2 9102 &
node demo/client.mjs 127.0.60.1:9100 sayHello    # → v2
node demo/client.mjs 127.0.60.1:9100 other       # → v1
\`\`\`

Then make it yours: the wire format in src/codec.ts, real frames of your protocol in fixtures/, the
routes in config/. The walk-through: docs/codec-tutorial.md in aeraki.
`,
    '.gitignore': 'dist/\nnode_modules/\n',
  };
}
