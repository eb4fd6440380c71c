/**
 * X.509 certificates made on the spot: a certificate authority and the serving certificates it signs,
 * for a webhook that must present a certificate the API server trusts (its CA goes into the webhook
 * configuration's caBundle). Keys are RSA 2048 made by Node's crypto; node-forge builds and signs the
 * certificates, which Node cannot do itself.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServingCertificateOptions {
  /** DNS names the certificate is valid for (the first is also its common name). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Default 365 days. */
  readonly validDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function rsaKeys(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    keyPem: privateKey,
  };
}

/** A positive serial number of 128 random bits (RFC 5280 allows up to 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function certificate(
  publicKey: forge.pki.PublicKey,
  subject: string,
  issuer: string,
  validDays: number,
  extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  // Clocks of the API server and of this process may differ a little.
  cert.validity.notBefore = new Date(Date.now() - 5 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + validDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  cert.setExtensions(extensions);
  return cert;
}

/** A certificate authority that signs serving certificates. */
export class CertificateAuthority implements KeyPair {
  private constructor(
    readonly certPem: string,
    readonly keyPem: string,
    private readonly name: string,
    private readonly key: forge.pki.rsa.PrivateKey,
  ) {}

  /** A new self-signed CA named `commonName`, valid `validDays` (default 10 years). */
  static create(commonName: string, validDays = 3650): CertificateAuthority {
    const keys = rsaKeys();
    const cert = certificate(keys.publicKey, commonName, commonName, validDays, [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return new CertificateAuthority(
      forge.pki.certificateToPem(cert),
      keys.keyPem,
      commonName,
      keys.privateKey,
    );
  }

  /** Loads a CA from its PEM certificate and key. */
  static fromPem(certPem: string, keyPem: string): CertificateAuthority {
    const cert = forge.pki.certificateFromPem(certPem);
    const name = String(cert.subject.getField('CN')?.value ?? '');
    return new CertificateAuthority(
      certPem,
      keyPem,
      name,
      forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    );
  }

  /** A serving certificate for `options.dnsNames` (and IPs), signed by this CA. */
  issue(options: ServingCertificateOptions): KeyPair {
    const keys = rsaKeys();
    const altNames = [
      ...options.dnsNames.map(value => ({ type: 2, value })),
      ...(options.ipAddresses ?? []).map(ip => ({ type: 7, ip })),
    ];
    const cert = certificate(
      keys.publicKey,
      options.dnsNames[0] ?? 'localhost',
      this.name,
      options.validDays ?? 365,
      [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    );
    cert.sign(this.key, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
  }
}

/** When `certPem` stops being valid (its notAfter). */
export function certificateExpiry(certPem: string): Date {
  return forge.pki.certificateFromPem(certPem).validity.notAfter;
}

/** The DNS names a certificate is valid for (its subjectAltName entries of type DNS). */
export function certificateDnsNames(certPem: string): string[] {
  const extension = forge.pki.certificateFromPem(certPem).getExtension('subjectAltName') as
    { altNames?: Array<{ type: number; value?: string }> } | undefined;
  return (extension?.altNames ?? []).filter(n => n.type === 2 && n.value !== undefined).map(n => n.value!);
}
