/**
 * Certificates for the TLS xDS tests, made with Debian's `openssl` (scripts/setup.sh installs it): a
 * CA, a server certificate for localhost and 127.0.0.1, client certificates carrying SPIFFE IDs as URI
 * SANs, an expired one, and certificates of another CA. EC P-256 keys: fast to make.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as files. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/** A certificate authority in `dir`, and the certificates it signs. */
export class TestCa {
  private serial = 1;

  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  /** The CA's certificate (the bundle peers must chain to). */
  get cert(): string {
    return join(this.dir, `${this.name}.crt`);
  }

  private get key(): string {
    return join(this.dir, `${this.name}.key`);
  }

  static async create(dir: string, name = 'test-ca'): Promise<TestCa> {
    await mkdir(dir, { recursive: true });
    const ca = new TestCa(dir, name);
    await openssl(
      [
        'req',
        '-x509',
        ...KEY,
        '-keyout',
        ca.key,
        '-out',
        ca.cert,
        '-days',
        '3650',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    return ca;
  }

  /** A server certificate for localhost and 127.0.0.1. */
  server(name = 'server'): Promise<CertFiles> {
    return this.issue(name, ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  }

  /** A client certificate with URI SAN `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  client(
    name: string,
    namespace: string,
    serviceAccount = 'default',
    options: { trustDomain?: string; expired?: boolean } = {},
  ): Promise<CertFiles> {
    const uri = `spiffe://${options.trustDomain ?? 'cluster.local'}/ns/${namespace}/sa/${serviceAccount}`;
    return this.issue(name, [`subjectAltName=URI:${uri}`, 'extendedKeyUsage=clientAuth'], options.expired);
  }

  private async issue(name: string, extensions: readonly string[], expired = false): Promise<CertFiles> {
    const files = { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    await writeFile(ext, ['basicConstraints=CA:FALSE', ...extensions].join('\n') + '\n');
    await openssl(
      ['req', '-new', ...KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`],
      this.dir,
    );
    if (!expired) {
      await openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          this.cert,
          '-CAkey',
          this.key,
          '-set_serial',
          String(this.serial++),
          '-days',
          '30',
          '-sha256',
          '-extfile',
          ext,
          '-out',
          files.cert,
        ],
        this.dir,
      );
      return files;
    }
    // `openssl x509` cannot date a certificate in the past; `openssl ca` can.
    const db = join(this.dir, `${name}-ca`);
    await mkdir(db, { recursive: true });
    await writeFile(join(db, 'index.txt'), '');
    await writeFile(join(db, 'serial'), `${(1000 + this.serial++).toString(16).padStart(4, '0')}\n`);
    const config = join(db, 'ca.cnf');
    await writeFile(
      config,
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        `dir = ${db}`,
        'database = $dir/index.txt',
        'serial = $dir/serial',
        'new_certs_dir = $dir',
        `certificate = ${this.cert}`,
        `private_key = ${this.key}`,
        'default_md = sha256',
        'policy = any',
        'copy_extensions = none',
        '[any]',
        'commonName = supplied',
      ].join('\n') + '\n',
    );
    await openssl(
      [
        'ca',
        '-batch',
        '-config',
        config,
        '-in',
        csr,
        '-out',
        files.cert,
        '-notext',
        '-extfile',
        ext,
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200102000000Z',
      ],
      this.dir,
    );
    return files;
  }
}
