/**
 * Interleaved A/B of two Gatehouse processes on the cached-cookie allow:
 *   node --import tsx bench/ab.ts [alternations] [seconds]
 * A and B run side by side and take turns under wrk (50 connections, `seconds` each, default 3), so a slow phase
 * of a shared host falls on both alike; separate runs minutes apart cannot tell a 20 % difference from this
 * machine's drift. A is the compiled build, B the sources through tsx; `AB_A_ARGS` / `AB_B_ARGS` add node options
 * to a side, and `AB_B_ENTRY=dist` makes both compiled (to compare node options alone).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, groupCpuSeconds, median, runWrk, type GatehouseEntry } from './lib.js'
import { startOneGatehouse, type OneGatehouse } from './one-gatehouse.js'

const [alternations = '10', secs = '3'] = process.argv.slice(2)
const dir = join(BENCH_DIR, 'out', 'ab')
mkdirSync(dir, { recursive: true })

const side = (name: string, entry: GatehouseEntry, args: string | undefined): Promise<OneGatehouse> =>
  startOneGatehouse({ name: `gatehouse-ab-${name}`, dir, entry, nodeArgs: args?.split(' ').filter(Boolean) })
const entryB: GatehouseEntry = process.env.AB_B_ENTRY === 'dist' ? 'dist' : 'tsx'
const sides = [
  { label: `A (dist ${process.env.AB_A_ARGS ?? ''})`, gh: await side('a', 'dist', process.env.AB_A_ARGS) },
  { label: `B (${entryB} ${process.env.AB_B_ARGS ?? ''})`, gh: await side('b', entryB, process.env.AB_B_ARGS) },
]
const NGINX = { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET' }
const runs = await Promise.all(sides.map(async (s) => ({ ...s, headers: { ...NGINX, Cookie: await s.gh.signIn() }, rps: [] as number[], cpu: [] as number[] })))
for (const r of runs) await runWrk({ url: `${r.gh.url}/oauth2/auth`, headers: r.headers, connections: 50, seconds: 3 })
for (let i = 0; i < Number(alternations); i++) {
  // Alternate who goes first, so neither side always follows the other's garbage.
  for (const r of i % 2 === 0 ? runs : [...runs].reverse()) {
    const pgid = r.gh.gh.child.pid!
    const cpu0 = groupCpuSeconds(pgid)
    const w = await runWrk({ url: `${r.gh.url}/oauth2/auth`, headers: r.headers, connections: 50, seconds: Number(secs) })
    r.rps.push(w.rps)
    r.cpu.push(((groupCpuSeconds(pgid) - cpu0) / w.requests) * 1e6)
  }
  console.log(runs.map((r) => `${r.label}: ${Math.round(r.rps.at(-1)!)} req/s ${r.cpu.at(-1)!.toFixed(0)} µs`).join('   '))
}
const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]]
const pairs = a.cpu.map((c, i) => c / b.cpu[i]!)
console.log(`median: ${a.label} ${Math.round(median(a.rps))} req/s, ${median(a.cpu).toFixed(1)} µs CPU per request; ${b.label} ${Math.round(median(b.rps))} req/s, ${median(b.cpu).toFixed(1)} µs`)
console.log(`A ÷ B CPU per request, per alternation: ${pairs.map((p) => p.toFixed(2)).join(' ')} (median ${median(pairs).toFixed(2)})`)
for (const r of runs) await r.gh.close()
process.exit(0)
