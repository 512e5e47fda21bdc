/**
 * Checks on a config that has the right shape, for mistakes that would only show once serving: a
 * listener that cannot bind, two listeners on one port, a redirect domain that can never match.
 * Each returns problems with key paths, like the schema's.
 */
import type { RawConfig } from './schema.js'

/** `example.com`, `.example.com` / `*.example.com` (apex and subdomains), each with `:port` or `:*`. */
const DOMAIN_RULE = /^(\*?\.)?([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:(\d{1,5}|\*))?$/i

function domainProblem(rule: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rule)) {
    return `"${rule}" has a scheme: write the host only, e.g. "${rule.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '')}" (an http(s) rd on that host is then allowed)`
  }
  if (rule.includes('/')) return `"${rule}" has a path: write the host only (paths are not part of the check)`
  if (!DOMAIN_RULE.test(rule)) return `"${rule}" is not a host name, ".domain" or "host:port"`
  const port = /:(\d+)$/.exec(rule)?.[1]
  if (port && Number(port) > 65535) return `"${rule}": port ${port} is out of range`
  return undefined
}

const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1))
const hostOf = (listen: string) => listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '')
const wildcard = (host: string) => host === '' || host === '0.0.0.0' || host === '::'

function listenProblems(raw: RawConfig): string[] {
  const problems: string[] = []
  const listeners = [['server.listen', raw.server.listen]]
  if (raw.metrics.listen) listeners.push(['metrics.listen', raw.metrics.listen])
  for (const [key, listen] of listeners) {
    if (portOf(listen!) > 65535) problems.push(`${key}: port ${portOf(listen!)} is out of range (0-65535)`)
  }
  const [server, metrics] = [raw.server.listen, raw.metrics.listen]
  if (metrics && portOf(metrics) !== 0 && portOf(metrics) === portOf(server)) {
    const [a, b] = [hostOf(server), hostOf(metrics)]
    if (a === b || wildcard(a) || wildcard(b)) {
      problems.push(`metrics.listen: "${metrics}" uses the same port as server.listen "${server}"; give metrics its own port or leave metrics.listen out to serve /metrics on the main port`)
    }
  }
  return problems
}

export function offlineChecks(raw: RawConfig): string[] {
  const problems = listenProblems(raw)
  raw.redirect.allowedDomains.forEach((rule, i) => {
    const problem = domainProblem(rule)
    if (problem) problems.push(`redirect.allowedDomains[${i}]: ${problem}`)
  })
  return problems
}
