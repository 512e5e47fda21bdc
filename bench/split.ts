/**
 * User vs kernel CPU per request, Gatehouse cookie allow beside a bare node:http server fed the same
 * request: `node --import tsx bench/split.ts [seconds] [rounds]`. From /proc/PID/stat (utime, stime),
 * interleaved, so a busy host disturbs both sides alike.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, freePort, runWrk, startService, waitForHttp } from './lib.js'
import { startOneGatehouse } from './one-gatehouse.js'
import { summarise } from './perf-summary.js'

const [secs = '5', rounds = '4'] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'split-'))
const nodeArgs = process.env.SPLIT_NODE_ARGS?.split(' ').filter(Boolean) ?? []
// --perf-basic-prof also turns on V8's code log (isolate-*.log in the working directory): sent to /dev/null
if (nodeArgs.includes('--perf-basic-prof')) nodeArgs.push('--logfile=/dev/null', '--no-logfile-per-isolate')
const one = await startOneGatehouse({ name: 'gatehouse-split', dir, nodeArgs })
const port = await freePort()
const bare = startService('ceiling', process.execPath, [...nodeArgs, '--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(port)], { logDir: dir })
await waitForHttp(`http://127.0.0.1:${port}/`, bare)
const headers = { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET', Cookie: await one.signIn() }
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { user: Number(f[11]), sys: Number(f[12]) }
}
const sides = [
  { name: 'gatehouse', url: `${one.url}/oauth2/auth`, pid: one.gh.child.pid! },
  { name: 'bare', url: `http://127.0.0.1:${port}/`, pid: bare.child.pid! },
]
for (const s of sides) await runWrk({ url: s.url, headers, connections: 50, seconds: 3 })
for (let r = 0; r < Number(rounds); r++) {
  for (const s of sides) {
    const t0 = ticks(s.pid)
    // SPLIT_PERF=DIR: a `perf record` of each side's last round (DIR/SIDE.data), summarised by bench/perf-summary.ts;
    // SPLIT_NODE_ARGS=--perf-basic-prof names the JIT frames
    const perf = process.env.SPLIT_PERF && r === Number(rounds) - 1
      ? spawn('perf', ['record', '-F', '2999', '-p', String(s.pid), '-o', join(process.env.SPLIT_PERF, `${s.name}.data`), '--', 'sleep', String(Number(secs) - 1)], { stdio: 'ignore' })
      : undefined
    const w = await runWrk({ url: s.url, headers, connections: 50, seconds: Number(secs) })
    const t1 = ticks(s.pid)
    if (perf && perf.exitCode === null) await new Promise((resolve) => perf.once('exit', resolve))
    const n = w.rps * Number(secs)
    const us = (t: number) => ((t * 10_000) / n).toFixed(1)
    console.log(`${s.name.padEnd(10)} ${Math.round(w.rps)} req/s  user ${us(t1.user - t0.user)} µs  sys ${us(t1.sys - t0.sys)} µs per request`)
    if (perf) console.log(summarise(join(process.env.SPLIT_PERF!, `${s.name}.data`), Number(us(t1.user - t0.user + t1.sys - t0.sys)), 12), '\n')
  }
}
await bare.stop()
await one.close()
process.exit(0)
