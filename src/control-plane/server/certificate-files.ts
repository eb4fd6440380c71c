/**
 * The xDS TLS port's certificate, key and CA bundle, read from files and read again when they change,
 * so that a rotated certificate (cert-manager, a Secret's files swapped by the kubelet, an edit) is
 * served without a restart. Files are watched (their directories, which catches a rename and a
 * symlink swap) and polled; a change takes effect only once the three files make a valid TLS context
 * together, since a rotation writes them one after the other: until then the previous one serves.
 * New connections get the new certificate; open connections keep theirs.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { AerakiError, ErrorCodes } from '../../errors.js';

export interface TlsFiles {
  /** The server's certificate chain (PEM). */
  readonly certFile: string;
  /** Its private key (PEM). */
  readonly keyFile: string;
  /** The CA bundle client certificates must chain to (PEM). */
  readonly caFile: string;
}

export interface CertificateReloadOptions {
  /** How often the files are read again besides watching them (default 2 s). */
  readonly pollIntervalMs?: number;
  /** The files changed and make a valid TLS context. */
  readonly onReload: (context: SecureContextOptions) => void;
  /** The files changed and do not make one (the previous context keeps serving). */
  readonly onError: (err: Error) => void;
}

/** The files' contents as TLS options, checked by building a context from them. */
async function readTlsFiles(files: TlsFiles): Promise<{ options: SecureContextOptions; digest: string }> {
  const read = async (path: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new AerakiError(
        ErrorCodes.XDS_TLS_FILES,
        `cannot read the xDS TLS ${what} ${path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(files.certFile, 'certificate'),
    read(files.keyFile, 'key'),
    read(files.caFile, 'CA bundle'),
  ]);
  const options: SecureContextOptions = { cert, key, ca };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new AerakiError(
      ErrorCodes.XDS_TLS_FILES,
      `the xDS TLS files ${files.certFile}, ${files.keyFile} and ${files.caFile} do not make a TLS context: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const digest = createHash('sha256')
    .update(cert)
    .update('\0')
    .update(key)
    .update('\0')
    .update(ca)
    .digest('hex');
  return { options, digest };
}

export class ReloadingCertificates {
  private digest = '';
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private reading = false;
  private again = false;
  private lastError = '';

  constructor(
    readonly files: TlsFiles,
    private readonly options: CertificateReloadOptions,
  ) {}

  /** Reads the files once; rejects with AERAKI_ERR_XDS_TLS_FILES when they are missing or unusable. */
  async load(): Promise<SecureContextOptions> {
    const { options, digest } = await readTlsFiles(this.files);
    this.digest = digest;
    return options;
  }

  /** Starts watching and polling the files. */
  start(): void {
    const directories = new Set(
      [this.files.certFile, this.files.keyFile, this.files.caFile].map(f => dirname(f)),
    );
    for (const directory of directories) {
      try {
        const watcher = watch(directory, () => this.soon());
        watcher.on('error', () => {}); // Polling still sees changes.
        this.watchers.push(watcher);
      } catch {
        // An unwatchable directory is polled.
      }
    }
    this.timer = setInterval(() => void this.check(), this.options.pollIntervalMs ?? 2000);
    this.timer.unref();
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.pending !== undefined) clearTimeout(this.pending);
  }

  /** A rotation writes several files: read them once it has settled a little. */
  private soon(): void {
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.check(), 100);
    this.pending.unref();
  }

  private async check(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      const { options, digest } = await readTlsFiles(this.files);
      this.lastError = '';
      if (digest !== this.digest) {
        this.digest = digest;
        this.options.onReload(options);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // Reported once per distinct problem, not every poll.
      if (error.message !== this.lastError) {
        this.lastError = error.message;
        this.options.onError(error);
      }
    } finally {
      this.reading = false;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    }
  }
}
