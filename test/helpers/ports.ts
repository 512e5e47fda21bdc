/**
 * Ports for test servers whose address must be known before they listen (a publicUrl, a redirect URI
 * registered at an IdP that starts first).
 *
 * Binding port 0 and closing again left a window in which the kernel could hand the same port to any
 * server binding port 0 (the IdP doubles start that way) or to an outgoing connection, in this or another
 * Jest worker. These ports come from below the kernel's ephemeral range, which it never assigns on its own,
 * and each Jest worker draws from its own slice, so only an explicit pick can take one: never twice in a
 * process, never the same in two workers.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const BASE = 10_000
const SLICE = 1_000
const SLICES = 16

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768
  } catch {
    return 32_768
  }
}

if (BASE + SLICE * SLICES > ephemeralLow()) {
  throw new Error(`test ports ${BASE}-${BASE + SLICE * SLICES} overlap the ephemeral range (from ${ephemeralLow()})`)
}

const slice = (Number(process.env.JEST_WORKER_ID ?? '0') || 0) % SLICES
const first = BASE + slice * SLICE
let next = Math.floor(Math.random() * SLICE)
const given = new Set<number>()

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })

/** A port no other test server holds; it stays free until the caller listens on it. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < SLICE; tries++) {
    const port = first + (next++ % SLICE)
    if (given.has(port)) continue
    given.add(port)
    if (await bindable(port)) return port
  }
  throw new Error(`no free test port left in ${first}-${first + SLICE - 1}`)
}
