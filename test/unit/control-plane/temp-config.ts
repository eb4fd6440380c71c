/**
 * Writes config files into a fresh temporary directory for one test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** Creates a directory holding `files` (relative path → content); removed after the test file. */
export function configDir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aeraki-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** A ServiceEntry document for host `host` listening on `address:port` with a port named `portName`. */
export function serviceEntry(options: {
  name: string;
  host: string;
  address?: string;
  port?: number;
  portName?: string;
  namespace?: string;
}): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${options.name}
  namespace: ${options.namespace ?? 'demo'}
spec:
  hosts: [${options.host}]
${options.address === undefined ? '' : `  addresses: [${options.address}]\n`}  ports:
    - number: ${options.port ?? 9090}
      name: ${options.portName ?? 'tcp-metaprotocol-thrift'}
  resolution: STATIC
  endpoints:
    - address: 127.0.0.1
      labels: {version: v1}
    - address: 127.0.0.2
      labels: {version: v2}
`;
}
