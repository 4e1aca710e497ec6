import { BlockList, isIPv4 } from 'node:net';
import { parseCidr } from '../config/cidr.js';

/**
 * Which peer addresses may publish: CIDR blocks checked with node's BlockList.
 * An empty list allows everyone. A dual-stack listener reports IPv4 peers as
 * IPv4-mapped IPv6 (`::ffff:192.168.1.9`), so both spellings of a peer are
 * checked against both kinds of rule.
 */
export class AddressAllowList {
  private readonly blocks = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const c = parseCidr(e);
      if (!c) throw new Error(`not an address or CIDR block: ${JSON.stringify(e)}`); // the config schema rejects these first
      this.blocks.addSubnet(c.address, c.prefix, c.family);
    }
    this.size = entries.length;
  }

  allows(peerAddress: string): boolean {
    if (this.size === 0) return true;
    const addr = peerAddress.replace(/%.*$/, ''); // an IPv6 zone index (fe80::1%eth0) is not part of the address
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr)?.[1];
    if (mapped) return this.blocks.check(mapped, 'ipv4') || this.blocks.check(addr, 'ipv6');
    if (isIPv4(addr)) return this.blocks.check(addr, 'ipv4') || this.blocks.check(`::ffff:${addr}`, 'ipv6');
    try {
      return this.blocks.check(addr, 'ipv6');
    } catch {
      return false; // not an address at all (a socket that already closed reports undefined): refuse
    }
  }
}

const compiled = new WeakMap<readonly string[], AddressAllowList>();

/**
 * The allow-list for a config array, built once per array. Cameras may come
 * from the config or be added at run time: the list is taken from the camera
 * object found at publish time, never from a copy made at start.
 */
export function allowListFor(entries: readonly string[] | null | undefined): AddressAllowList | null {
  if (!entries || entries.length === 0) return null;
  let list = compiled.get(entries);
  if (!list) compiled.set(entries, (list = new AddressAllowList(entries)));
  return list;
}
