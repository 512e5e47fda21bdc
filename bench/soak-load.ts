/**
 * The soak's load generator, in a worker thread so the IdP and the orchestration in the main thread
 * (key signing at a rotation, scrapes) never stall it. node:http keep-alive connections to one
 * Gatehouse; the request kind is picked per request from a fixed weighted cycle, and every answer is
 * sent back with its kind, status and latency so the main thread can classify each one.
 *
 * Messages in: `closed` (as fast as `concurrency` connections allow, for `seconds`: the maximum rate),
 * `paced` (open loop at `rps`; latency counts from the scheduled send time, so a stall is not hidden),
 * `tokens` (replaces the first-seen token pool), `stop`. Out: `tick` every second, `closed-done`, `stopped`.
 */
import { Agent, request } from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'

export interface LoadKind {
  id: string
  path: string
  headers: Record<string, string>
  weight: number
  /** Authorization: Bearer from the first-seen pool (cycled) or the repeated set */
  bearer?: 'first' | 'repeat'
}
export interface LoadSetup {
  port: number
  kinds: LoadKind[]
  firstPool: string[]
  repeatPool: string[]
  connections: number
}
/** One second of answers; status 0 = no answer (socket error or 5 s timeout). */
export interface Tick {
  type: 'tick'
  kind: number[]
  status: number[]
  latencyMs: number[]
  /** epoch ms of the scheduled send */
  at: number[]
  queued: number
}

const setup = workerData as LoadSetup
const port = parentPort!
// FIFO reuse spreads requests over every open connection (as a proxy's keep-alive pool does), so in
// cluster mode every worker gets every kind of request; LIFO would keep a light load on one socket.
const agent = new Agent({ keepAlive: true, maxSockets: setup.connections, maxFreeSockets: setup.connections, scheduling: 'fifo' })
let firstPool = setup.firstPool
let firstCursor = 0
let repeatCursor = 0

// Weighted cycle: kind indices spread evenly, e.g. weights 5,1 → 0,0,0,1,0,0 ...
const cycle: number[] = []
{
  const total = setup.kinds.reduce((s, k) => s + k.weight, 0)
  const credit = setup.kinds.map(() => 0)
  for (let i = 0; i < total; i++) {
    setup.kinds.forEach((k, j) => (credit[j]! += k.weight))
    let best = 0
    credit.forEach((c, j) => c > credit[best]! && (best = j))
    credit[best]! -= total
    cycle.push(best)
  }
}
let cyclePos = 0

let tick: Tick = newTick()
function newTick(): Tick {
  return { type: 'tick', kind: [], status: [], latencyMs: [], at: [], queued: 0 }
}
const epochOffset = Date.now() - performance.now()

function fire(scheduled: number, done: () => void) {
  const k = cycle[cyclePos++ % cycle.length]!
  const kind = setup.kinds[k]!
  const headers: Record<string, string> = { ...kind.headers }
  if (kind.bearer === 'first') headers.Authorization = `Bearer ${firstPool[firstCursor++ % firstPool.length]}`
  else if (kind.bearer === 'repeat') headers.Authorization = `Bearer ${setup.repeatPool[repeatCursor++ % setup.repeatPool.length]}`
  let finished = false
  const finish = (status: number) => {
    if (finished) return
    finished = true
    tick.kind.push(k)
    tick.status.push(status)
    tick.latencyMs.push(performance.now() - scheduled)
    tick.at.push(scheduled + epochOffset)
    done()
  }
  const req = request({ host: '127.0.0.1', port: setup.port, path: kind.path, headers, agent, timeout: 5000 }, (res) => {
    res.on('data', () => {})
    res.on('end', () => finish(res.statusCode ?? 0))
    res.on('error', () => finish(0))
  })
  req.on('timeout', () => req.destroy(new Error('timeout')))
  req.on('error', () => finish(0))
  req.end()
}

let mode: 'idle' | 'closed' | 'paced' = 'idle'
let inflight = 0
/**
 * Scheduled send times waiting for a free connection, FIFO. A head index, not Array#shift: a backlog of
 * more than ~64k entries lives in V8's large-object space, where shift() copies the whole array, and a
 * generator that slows down as its queue grows turns one server hiccup into seconds of false latency.
 */
const backlog = {
  items: [] as number[],
  head: 0,
  get length() {
    return this.items.length - this.head
  },
  push(t: number) {
    this.items.push(t)
  },
  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined
    const t = this.items[this.head++]
    if (this.head === this.items.length) this.clear()
    else if (this.head >= 65_536) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return t
  },
  clear() {
    this.items = []
    this.head = 0
  },
}
const MAX_BACKLOG = 200_000

const flush = setInterval(() => {
  tick.queued = backlog.length
  port.postMessage(tick)
  tick = newTick()
}, 1000)

function runClosed(seconds: number, concurrency: number) {
  mode = 'closed'
  const until = performance.now() + seconds * 1000
  let requests = 0
  let open = concurrency
  const loop = () => {
    if (mode !== 'closed' || performance.now() >= until) {
      if (--open === 0) {
        mode = 'idle'
        port.postMessage({ type: 'closed-done', requests, seconds })
      }
      return
    }
    fire(performance.now(), () => {
      requests++
      loop()
    })
  }
  for (let i = 0; i < concurrency; i++) loop()
}

let pacer: NodeJS.Timeout | undefined
function runPaced(rps: number) {
  mode = 'paced'
  const start = performance.now()
  let sent = 0
  const release = () => {
    inflight--
    const next = backlog.shift()
    if (next !== undefined && mode === 'paced') send(next)
  }
  const send = (scheduled: number) => {
    inflight++
    fire(scheduled, release)
  }
  pacer = setInterval(() => {
    const now = performance.now()
    const due = Math.floor(((now - start) * rps) / 1000)
    for (; sent < due; sent++) {
      const scheduled = start + (sent * 1000) / rps
      if (inflight < setup.connections) send(scheduled)
      else if (backlog.length < MAX_BACKLOG) backlog.push(scheduled)
    }
  }, 2)
}

port.on('message', (m: { type: string; seconds?: number; concurrency?: number; rps?: number; tokens?: string[] }) => {
  if (m.type === 'closed') runClosed(m.seconds!, m.concurrency!)
  else if (m.type === 'paced') runPaced(m.rps!)
  else if (m.type === 'tokens') {
    firstPool = m.tokens!
    firstCursor = 0
  } else if (m.type === 'stop') {
    mode = 'idle'
    if (pacer) clearInterval(pacer)
    backlog.clear()
    // let the answers in flight arrive, then hand over the last tick
    const wait = setInterval(() => {
      if (inflight > 0) return
      clearInterval(wait)
      clearInterval(flush)
      port.postMessage(tick)
      agent.destroy()
      port.postMessage({ type: 'stopped' })
    }, 20)
    setTimeout(() => (inflight = 0), 6000).unref()
  }
})
