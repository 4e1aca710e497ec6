import { isIPv4, isIPv6 } from 'node:net';

/** One entry of an address allow-list: an address, or a block in CIDR notation. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `192.168.1.0/24`, `10.0.0.7` (a /32), `fd00::/8`, `::1` (a /128).
 * Host bits may be set (`192.168.1.7/24` means the /24), as routers write it.
 * null for anything else, so the config can name the bad entry.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const bits = slash < 0 ? null : text.slice(slash + 1).trim();
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (!family) return null;
  const max = family === 'ipv4' ? 32 : 128;
  if (bits === null) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
  return { address, prefix: Number(bits), family };
}
