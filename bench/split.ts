/**
 * User vs kernel CPU per request, Gatehouse cookie allow beside a bare node:http server fed the same
 * request: `node --import tsx bench/split.ts [seconds] [rounds]`. From /proc/PID/stat (utime, stime),
 * interleaved, so a busy host disturbs both sides alike. SPLIT_PERF=DIR adds a perf profile of each side.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, freePort, groupCpuTimes, runWrk, startService, waitForHttp } from './lib.js'
import { startOneGatehouse } from './one-gatehouse.js'
import { PERF_NODE_ARGS, recordPerf, summarise } from './perf-summary.js'

const [secs = '5', rounds = '4'] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'split-'))
// SPLIT_PERF=DIR: a `perf record` of each side's last round (DIR/SIDE.data), summarised by bench/perf-summary.ts
const PERF_DIR = process.env.SPLIT_PERF
const nodeArgs = PERF_DIR ? PERF_NODE_ARGS : []
const one = await startOneGatehouse({ name: 'gatehouse-split', dir, nodeArgs })
const port = await freePort()
const bare = startService('ceiling', process.execPath, [...nodeArgs, '--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(port)], { logDir: dir })
await waitForHttp(`http://127.0.0.1:${port}/`, bare)
const headers = { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET', Cookie: await one.signIn() }
const sides = [
  { name: 'gatehouse', url: `${one.url}/oauth2/auth`, pid: one.gh.child.pid! },
  { name: 'bare', url: `http://127.0.0.1:${port}/`, pid: bare.child.pid! },
]
for (const s of sides) await runWrk({ url: s.url, headers, connections: 50, seconds: 3 })
for (let r = 0; r < Number(rounds); r++) {
  for (const s of sides) {
    const t0 = groupCpuTimes(s.pid)
    const perfData = PERF_DIR && r === Number(rounds) - 1 ? join(PERF_DIR, `${s.name}.data`) : undefined
    const perf = perfData ? recordPerf(s.pid, perfData, Number(secs) - 1) : undefined
    const w = await runWrk({ url: s.url, headers, connections: 50, seconds: Number(secs) })
    const t1 = groupCpuTimes(s.pid)
    await perf?.done()
    const us = (seconds: number) => (seconds * 1e6) / (w.rps * Number(secs))
    const user = us(t1.user - t0.user)
    const sys = us(t1.sys - t0.sys)
    console.log(`${s.name.padEnd(10)} ${Math.round(w.rps)} req/s  user ${user.toFixed(1)} µs  sys ${sys.toFixed(1)} µs per request`)
    if (perfData) console.log(summarise(perfData, user + sys, 12), '\n')
  }
}
await bare.stop()
await one.close()
process.exit(0)
