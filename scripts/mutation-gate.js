#!/usr/bin/env node
// The mutation gate (README "Mutation testing"): reads Stryker's JSON report (mutation-testing-report-schema) and
// fails when any module listed in stryker.config.mjs `mutate` scores below the threshold, or is missing.
// Score as Stryker defines it: detected / valid = (killed + timeout) / (killed + timeout + survived + no coverage);
// ignored (static and `Stryker disable`d) mutants and compile/runtime errors are not counted.
//   node scripts/mutation-gate.js [report.json] [threshold %]
import { readFileSync } from 'node:fs'
import config from '../stryker.config.mjs'

const reportPath = process.argv[2] ?? config.jsonReporter.fileName
const threshold = Number(process.argv[3] ?? 90)

let report
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'))
} catch (err) {
  console.error(`mutation gate: cannot read ${reportPath}: ${err.message}`)
  process.exit(2)
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
if (failing.length) {
  console.error(`\nmutation gate: ${failing.length} module(s) below ${threshold} %: ${failing.join(', ')}`)
  process.exit(1)
}
console.log(`\nmutation gate: every module at or above ${threshold} %`)
