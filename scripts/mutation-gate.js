#!/usr/bin/env node
// The mutation gate (README "Mutation testing"): reads Stryker's JSON report (mutation-testing-report-schema) and
// fails when any module listed in stryker.config.mjs `mutate` scores below the threshold, or is missing.
// Score as Stryker defines it: detected / valid = (killed + timeout) / (killed + timeout + survived + no coverage);
// ignored (static and `Stryker disable`d) mutants and compile/runtime errors are not counted.
// Every mutant no test detected is listed with its place, so a red gate says what to test.
//   node scripts/mutation-gate.js [report.json] [threshold %]
//   node scripts/mutation-gate.js --equivalents [report.json]   the mutants marked equivalent, with their reasons (Markdown)
import { readFileSync } from 'node:fs'
import config from '../stryker.config.mjs'

const listEquivalents = process.argv[2] === '--equivalents'
const args = process.argv.slice(listEquivalents ? 3 : 2)
const reportPath = args[0] ?? config.jsonReporter.fileName
const threshold = Number(args[1] ?? 90)

let report
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'))
} catch (err) {
  console.error(`mutation gate: cannot read ${reportPath}: ${err.message}`)
  process.exit(2)
}

const at = (file, m) => `${file}:${m.location.start.line}:${m.location.start.column}`

if (listEquivalents) {
  // `// Stryker disable next-line <mutator>: <reason>` reaches the report as status Ignored with the reason;
  // static mutants (ignoreStatic) are Ignored too, with Stryker's own reason, and are left out.
  const byReason = new Map()
  for (const file of config.mutate) {
    for (const m of report.files[file]?.mutants ?? []) {
      if (m.status !== 'Ignored' || m.static || /^Static mutant/.test(m.statusReason ?? '')) continue
      const key = `${file}\u0000${m.statusReason ?? '(no reason)'}`
      if (!byReason.has(key)) byReason.set(key, [])
      byReason.get(key).push(`${m.location.start.line}:${m.location.start.column} ${m.mutatorName}`)
    }
  }
  let total = 0
  let last
  for (const [key, places] of byReason) {
    const [file, reason] = key.split('\u0000')
    if (file !== last) console.log(`\n**${file}**`)
    last = file
    total += places.length
    console.log(`- ${reason} (${places.length}: ${places.join(', ')})`)
  }
  console.log(`\n${total} mutants marked equivalent, ${byReason.size} reasons`)
  process.exit(0)
}

const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

const rows = config.mutate.map((file) => {
  const mutants = report.files[file]?.mutants
  if (!mutants) return { file, missing: true }
  const count = (set) => mutants.filter((m) => set.has(m.status)).length
  const detected = count(DETECTED)
  const undetected = count(UNDETECTED)
  const ignored = mutants.filter((m) => m.status === 'Ignored').length
  const valid = detected + undetected
  // A module without a single valid mutant has nothing left to detect.
  const score = valid === 0 ? 100 : (100 * detected) / valid
  return { file, detected, undetected, ignored, valid, score }
})

const pad = (s, n, left = false) => (left ? String(s).padStart(n) : String(s).padEnd(n))
const width = Math.max(...rows.map((r) => r.file.length))
console.log(`${pad('module', width)}  ${pad('score', 7, true)}  ${pad('detected', 8, true)}  ${pad('missed', 8, true)}  ${pad('ignored', 7, true)}`)
const failing = []
for (const r of rows) {
  if (r.missing) {
    failing.push(r.file)
    console.log(`${pad(r.file, width)}  ${pad('missing', 7, true)}  (not in ${reportPath})`)
    continue
  }
  if (r.score < threshold) failing.push(r.file)
  const mark = r.score < threshold ? '  < ' + threshold + ' %' : ''
  console.log(
    `${pad(r.file, width)}  ${pad(r.score.toFixed(2), 7, true)}  ${pad(r.detected, 8, true)}  ${pad(r.undetected, 8, true)}  ${pad(r.ignored, 7, true)}${mark}`,
  )
}
const missed = config.mutate.flatMap((file) =>
  (report.files[file]?.mutants ?? []).filter((m) => UNDETECTED.has(m.status)).map((m) => `  ${at(file, m)} ${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement)}`),
)
if (missed.length) console.log(`\nnot detected (${missed.length}):\n${missed.join('\n')}`)
if (failing.length) {
  console.error(`\nmutation gate: ${failing.length} module(s) below ${threshold} %: ${failing.join(', ')}`)
  process.exit(1)
}
console.log(`\nmutation gate: every module at or above ${threshold} %`)
