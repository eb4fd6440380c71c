/**
 * `aeraki control-plane`'s xDS ports: the plaintext port (loopback only unless asked for) and the TLS
 * port where proxies authenticate, with its certificate files.
 */
import { resolve } from 'node:path';
import { AerakiError, ErrorCodes } from '../errors.js';
import { isLoopbackHost } from '../net/loopback.js';
import {
  DEFAULT_TOKEN_AUDIENCE,
  DEFAULT_TRUST_DOMAIN,
  DEFAULT_XDS_PORT,
  DEFAULT_XDS_TLS_PORT,
} from '../control-plane/server/index.js';
import type { XdsTlsOptions } from '../control-plane/control-plane.js';
import type { TlsFiles } from '../control-plane/server/certificate-files.js';
import { parseHostPort } from './args.js';

export const XDS_SECURITY_USAGE = `xDS ports:
  --listen HOST:PORT  the plaintext xDS port, unauthenticated (default 127.0.0.1:${DEFAULT_XDS_PORT}); a
                      proxy there that names no namespace sees the whole mesh. Only on loopback
                      unless --plaintext-insecure; 'off' turns it off
  --plaintext-insecure
                      allow --listen on a non-loopback address (logged as a warning): anyone who
                      reaches it can read the config
  --tls-cert FILE, --tls-key FILE, --tls-ca FILE
                      serve the TLS xDS port with this certificate and key; proxies authenticate
                      with a client certificate chaining to the CA bundle, carrying their SPIFFE ID
                      as URI SAN, and are sent what their identity's namespace may see. The files
                      are read again when they change (no restart)
  --tls-secret NS/NAME
                      with --kubernetes, instead of the files: serve the TLS port with the
                      certificate kept in this Secret (tls.crt, tls.key, ca.crt), made when missing
                      as the webhook's is (a CA, and a certificate for --webhook-service's names);
                      the same Secret as --webhook-secret gives both one certificate. Proxies
                      verify it with its ca.crt (--xds-ca)
  --tls-listen HOST:PORT
                      the TLS xDS port (default 0.0.0.0:${DEFAULT_XDS_TLS_PORT}, as istiod's)
  --trust-domain DOMAIN
                      SPIFFE trust domain of client certificates (default ${DEFAULT_TRUST_DOMAIN};
                      repeat for aliases)
  --token-audience AUD
                      with --kubernetes, proxies on the TLS port may authenticate with their
                      projected service-account token instead, made for this audience (default
                      ${DEFAULT_TOKEN_AUDIENCE}, as istiod's; repeat for several) and checked with a
                      TokenReview; the token's service account is the identity
`;

export const XDS_SECURITY_OPTIONS = {
  listen: { type: 'string', default: `127.0.0.1:${DEFAULT_XDS_PORT}` },
  'plaintext-insecure': { type: 'boolean', default: false },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-secret': { type: 'string' },
  'tls-listen': { type: 'string', default: `0.0.0.0:${DEFAULT_XDS_TLS_PORT}` },
  'trust-domain': { type: 'string', multiple: true },
  'token-audience': { type: 'string', multiple: true },
} as const;

interface SecurityValues {
  readonly listen: string;
  readonly 'plaintext-insecure': boolean;
  readonly 'tls-cert'?: string | undefined;
  readonly 'tls-key'?: string | undefined;
  readonly 'tls-ca'?: string | undefined;
  readonly 'tls-secret'?: string | undefined;
  readonly 'tls-listen': string;
  readonly 'trust-domain'?: string[] | undefined;
}

export interface XdsPorts {
  /** The plaintext port, or undefined when it is off. */
  readonly plaintext?: { readonly host: string; readonly port: number; readonly exposed: boolean };
  /** The TLS port: its certificate from files, or (`secret`) from a Kubernetes Secret `NS/NAME`. */
  readonly tls?: Omit<XdsTlsOptions, 'authenticators' | keyof TlsFiles> &
    ({ readonly files: TlsFiles } | { readonly secret: string });
}

export function xdsPorts(values: SecurityValues): XdsPorts {
  const files = [values['tls-cert'], values['tls-key'], values['tls-ca']];
  const given = files.filter(f => f !== undefined).length;
  if (given !== 0 && given !== 3)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      'the TLS xDS port needs all of --tls-cert, --tls-key and --tls-ca',
    );
  const secret = values['tls-secret'];
  if (secret !== undefined && given !== 0)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      'give the TLS xDS certificate as files (--tls-cert, --tls-key, --tls-ca) or as --tls-secret, not both',
    );
  let plaintext: XdsPorts['plaintext'];
  if (values.listen !== 'off') {
    const { host, port } = parseHostPort(values.listen, '--listen');
    const exposed = !isLoopbackHost(host);
    if (exposed && !values['plaintext-insecure']) {
      throw new AerakiError(
        ErrorCodes.CLI_USAGE,
        `--listen ${values.listen}: the plaintext xDS port is unauthenticated (anyone who reaches it can read the config), so it listens only on loopback; have proxies use the TLS port (--tls-cert, --tls-key, --tls-ca), or add --plaintext-insecure to serve it there anyway`,
      );
    }
    plaintext = { host, port, exposed };
  }
  let tls: XdsPorts['tls'];
  if (given === 3 || secret !== undefined) {
    const { host, port } = parseHostPort(values['tls-listen'], '--tls-listen');
    const trustDomains = values['trust-domain'] ?? [DEFAULT_TRUST_DOMAIN];
    tls =
      secret !== undefined
        ? { host, port, trustDomains, secret }
        : {
            host,
            port,
            trustDomains,
            files: {
              certFile: resolve(values['tls-cert']!),
              keyFile: resolve(values['tls-key']!),
              caFile: resolve(values['tls-ca']!),
            },
          };
  }
  if (plaintext === undefined && tls === undefined)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      '--listen off needs the TLS port (--tls-cert, --tls-key, --tls-ca, or --tls-secret)',
    );
  return { ...(plaintext === undefined ? {} : { plaintext }), ...(tls === undefined ? {} : { tls }) };
}
