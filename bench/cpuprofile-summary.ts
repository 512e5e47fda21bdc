/**
 * Summarises a V8 .cpuprofile: self time by function (name + file:line), top N, and total time by
 * file. `node --import tsx bench/cpuprofile-summary.ts FILE.cpuprofile [N]`
 * WINDOW=a:b keeps only the samples taken a to b seconds after the profile started (e.g. the load
 * before and after an idle spell, bench/drift.ts); BUSY=1 prints the non-idle share per 10 s, to find them.
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
const file = process.argv[2]
if (!file) throw new Error('usage: cpuprofile-summary.ts FILE [N]')
const top = Number(process.argv[3] ?? 25)
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const [from, to] = (process.env.WINDOW ?? '0:Infinity').split(':').map((v) => Number(v) * 1e6) as [number, number]
const selfUs = new Map<number, number>()
const busy = new Map<number, [number, number]>()
let at = 0
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0
  at += dt
  const idle = byId.get(prof.samples[i]!)!.callFrame.functionName === '(idle)'
  const b = busy.get(Math.floor(at / 1e7)) ?? [0, 0]
  busy.set(Math.floor(at / 1e7), [b[0] + (idle ? 0 : dt), b[1] + dt])
  if (at < from || at > to) continue
  selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + dt)
}
if (process.env.BUSY) for (const [k, [b, t]] of busy) console.log(`${String(k * 10).padStart(5)} s  busy ${((100 * b) / t).toFixed(0)} %`)
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/main\//, '')
const fnKey = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
const byFn = new Map<string, number>()
const byFile = new Map<string, number>()
for (const [id, t] of selfUs) {
  const n = byId.get(id)!
  byFn.set(fnKey(n), (byFn.get(fnKey(n)) ?? 0) + t)
  const f = n.callFrame.url ? short(n.callFrame.url).replace(/^(nm:(@[^/]+\/)?[^/]+).*/, '$1') : `(${n.callFrame.functionName})`
  byFile.set(f, (byFile.get(f) ?? 0) + t)
}
const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + '%'
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`)
console.log('\nself time by function:')
for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)
console.log('\nself time by file / package:')
for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 15))) console.log(`${pct(t)}  ${k}`)
