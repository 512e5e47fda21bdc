/**
 * The read original request and its rule gate, memoised per exact raw input. Both are pure
 * functions of the reader's header values (request/original-request.ts `readerInputs`), the query
 * string and the runtime, so a proxy repeating one URL gets them without a `new URL()`, a path
 * reading or a rule walk. Only the identity-header check, which reads every header name, runs each time.
 * The memoised request, its URL and a gate's outcome are shared between requests: read-only.
 */
import { boundedLru } from '../lru.js'
import type { Gate } from '../rules/gate.js'
import { isRefusal, presetIdentity, readerInputs, readOriginal, type Incoming, type OriginalRequest, type Protocol, type ReadContext, type Refusal } from '../request/original-request.js'

export type Read = { request: OriginalRequest; gate: Gate } | Refusal

/** Bounds: hostile URLs can only churn the memo, not grow it past ~MAX × MAX_KEY. */
const MAX = 512
const MAX_KEY = 1024

/** Unmemoised: readOriginal, then the gate of what it read. */
export function readAndGate(protocol: Protocol, req: Incoming, ctx: ReadContext, querystring: string, gate: GateOf): Read {
  const request = readOriginal(protocol, req, ctx)
  return isRefusal(request) ? request : { request, gate: gate(querystring, request) }
}

/** A runtime's rule gate (rules/gate.ts `ruleGate` bound to it). */
export type GateOf = (querystring: string, request: OriginalRequest) => Gate
export type ReadMemo = (protocol: Protocol, req: Incoming, ctx: ReadContext, querystring: string) => Read

/** A memo for one runtime (its rules, query checks and read context never change). */
export function createReadMemo(gate: GateOf, max = MAX): ReadMemo {
  const cache = boundedLru<string, Read>(max)
  return (protocol, req, ctx, querystring) => {
    // Untrusted peers and upstream mode read no forwarded header: nothing worth keeping.
    const inputs = ctx.trusted && (protocol === 'nginx' || protocol === 'forward-auth') ? readerInputs(protocol, req.headers, ctx) : undefined
    if (inputs === undefined || inputs.length + querystring.length > MAX_KEY) return readAndGate(protocol, req, ctx, querystring, gate)
    const preset = presetIdentity(req.headers, ctx.isIdentityHeader)
    if (preset) return preset
    const key = `${querystring.length}:${querystring}${inputs}`
    let read = cache.get(key)
    if (read === undefined) cache.set(key, (read = readAndGate(protocol, req, ctx, querystring, gate)))
    return read
  }
}
