import { BlockList, isIP } from 'node:net'

export type PeerCheck = (address: string | undefined) => boolean

/**
 * Matches a TCP peer against `server.trustedProxies`. IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`)
 * are compared as IPv4, since that is how a dual-stack listener reports IPv4 clients.
 */
export function createTrustedProxyCheck(cidrs: readonly string[]): PeerCheck {
  // Stryker disable next-line ConditionalExpression: a fast path; an empty BlockList matches nothing either
  if (cidrs.length === 0) return () => false
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/') as [string, string | undefined]
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(addr, family)
    else list.addSubnet(addr, Number(bits), family)
  }
  const cache = new Map<string, boolean>()
  return (address) => {
    if (!address) return false
    let hit = cache.get(address)
    // Stryker disable next-line ConditionalExpression: the memo only; recomputing gives the same answer
    if (hit === undefined) {
      // Stryker disable next-line ConditionalExpression,LogicalOperator,MethodExpression,StringLiteral,EqualityOperator: Node's BlockList also matches a mapped peer against IPv4 ranges; the explicit mapping does not lean on that
      const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : undefined
      hit = v4 ? list.check(v4, 'ipv4') : list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
      // Stryker disable next-line ConditionalExpression,EqualityOperator: bounds the memo's memory, not its answers
      if (cache.size < 1024) cache.set(address, hit)
    }
    return hit
  }
}
