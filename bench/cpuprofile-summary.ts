/**
 * Summarises a V8 .cpuprofile: self time by function (name + file:line), top N, and total time by
 * file. `node --import tsx bench/cpuprofile-summary.ts FILE.cpuprofile [N]`
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
const selfUs = new Map<number, number>()
for (let i = 0; i < prof.samples.length; i++) selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + (prof.timeDeltas[i] ?? 0))
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
