import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface TlsFiles {
  enabled: boolean;
  cert: string | null;
  key: string | null;
}

/**
 * Resolves `rtmp.tls.cert` / `.key` against `cwd` and, when TLS is on, checks
 * at start that both files exist, parse as PEM, and belong together, so a bad
 * file stops start-up with one line naming its key rather than failing the
 * first camera's handshake. Returns the resolved paths, or the problem.
 */
export function checkTlsFiles<T extends TlsFiles>(tls: T, cwd: string, keyPath = 'rtmp.tls'): { ok: T } | { problem: string } {
  const out = { ...tls, cert: tls.cert && resolve(cwd, tls.cert), key: tls.key && resolve(cwd, tls.key) };
  if (!tls.enabled) return { ok: out };
  const cert = readPem(out.cert!, `${keyPath}.cert`);
  if ('problem' in cert) return cert;
  const key = readPem(out.key!, `${keyPath}.key`);
  if ('problem' in key) return key;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert.text);
  } catch (err) {
    return { problem: `${keyPath}.cert: ${out.cert} is not a PEM certificate (${reason(err)})` };
  }
  // a passphrase would have to be typed at every start: the key must be stored decrypted (readable by the NVR only)
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.text)) {
    return { problem: `${keyPath}.key: ${out.key} is encrypted; give it without a passphrase (openssl pkey -in KEY -out KEY.plain)` };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.text);
  } catch (err) {
    return { problem: `${keyPath}.key: ${out.key} is not an unencrypted PEM private key (${reason(err)})` };
  }
  if (!x509.checkPrivateKey(privateKey)) {
    return { problem: `${keyPath}.key: ${out.key} does not belong to the certificate in ${keyPath}.cert` };
  }
  return { ok: out };
}

function readPem(file: string, key: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    return { problem: `${key}: cannot read ${file}: ${why}` };
  }
}

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}
