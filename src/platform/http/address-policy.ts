// Which network addresses outbound requests of the platform (harvesting, the quality job's URL checks) may never reach
// unless the configuration allows it: private, loopback, link-local, CGNAT, multicast, reserved and NAT64 ranges, and
// IPv4-mapped IPv6 forms of them. One list, so the two fetchers cannot drift apart. Adapters only: whether a caller may
// reach private addresses is its configuration (HARVEST_ALLOW_PRIVATE, QUALITY_ALLOW_PRIVATE_URLS), not decided here.
import net from 'node:net';

const BLOCKED = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  BLOCKED.addSubnet(a, p, 'ipv6');

/** Whether an IP address is private, loopback, link-local, multicast or reserved (IPv4-mapped IPv6 included); not an IP → true. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = net.isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) return BLOCKED.check(address, 'ipv6');
  return true;
}
