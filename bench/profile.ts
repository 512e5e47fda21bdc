/**
 * CPU profile of one hot-path case: `node --import tsx bench/profile.ts [cookie|jwt-warm|jwt-cold|none] [auth|forward-auth] [seconds]`
 * Starts a realm and one Gatehouse (node --cpu-prof), logs in (or signs tokens), runs wrk
 * (50 connections), stops Gatehouse with SIGTERM (the profile is written on exit) and prints the
 * self-time summary. Profiles go to bench/out/profiles/. PROFILE_PERF=1 records with `perf` instead
 * (bench/perf-summary.ts: on-CPU time by category and µs per request, every thread).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { BENCH_DIR, groupCpuSeconds, runWrk } from './lib.js'
import { startOneGatehouse } from './one-gatehouse.js'
import { PERF_NODE_ARGS, recordPerf, summarise } from './perf-summary.js'

const [mode = 'cookie', ep = 'auth', secs = '10'] = process.argv.slice(2)
const dir = join(BENCH_DIR, 'out', 'profiles', `${mode}-${ep}-${Date.now()}`)
mkdirSync(dir, { recursive: true })
// PROFILE_PERF=1: `perf record` (on-CPU samples in every thread, kernel included) instead of V8's --cpu-prof
const PERF = Boolean(process.env.PROFILE_PERF)
const nodeArgs = PERF ? PERF_NODE_ARGS : ['--cpu-prof', '--cpu-prof-dir', dir]
const { realm, url, gh, signIn, close } = await startOneGatehouse({ name: 'gatehouse-profile', dir, nodeArgs })

const headers: Record<string, string> = ep === 'auth'
  ? { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET' }
  : { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/', 'X-Forwarded-Method': 'GET' }
let tokensFile: string | undefined
const claims = { sub: realm.subjectOf('alice'), aud: ['gatehouse', 'account'], azp: 'gatehouse', email: 'alice@example.com', email_verified: true, preferred_username: 'alice', groups: ['staff', 'sre'] }
if (mode === 'cookie') {
  headers.Cookie = await signIn()
} else if (mode === 'jwt-warm') {
  headers.Authorization = `Bearer ${await realm.signAccessToken(claims, { expiresIn: 3600 })}`
} else if (mode === 'jwt-cold') {
  const pool: string[] = []
  while (pool.length < 20_000) pool.push(...(await Promise.all(Array.from({ length: 256 }, () => realm.signAccessToken(claims, { expiresIn: 3600 })))))
  tokensFile = join(dir, 'tokens.txt')
  writeFileSync(tokensFile, pool.join('\n') + '\n')
}
const check = await fetch(`${url}/oauth2/${ep}`, { headers })
console.log(`pre-flight: ${check.status}`)
await runWrk({ url: `${url}/oauth2/${ep}`, headers, connections: 50, seconds: 2, tokensFile })
const pid = gh.child.pid!
const perfData = join(dir, 'perf.data')
const perf = PERF ? recordPerf(pid, perfData, Number(secs) - 1) : undefined
const cpu0 = groupCpuSeconds(pid)
const r = await runWrk({ url: `${url}/oauth2/${ep}`, headers, connections: 50, seconds: Number(secs), tokensFile })
const usPerRequest = ((groupCpuSeconds(pid) - cpu0) * 1e6) / (r.rps * Number(secs))
console.log(`${mode} ${ep}: ${Math.round(r.rps)} req/s, p50 ${r.p50} µs, p99 ${r.p99} µs, errors ${r.socketErrors}+${r.statusErrors}, CPU ${usPerRequest.toFixed(1)} µs per request`)
if (perf) {
  await perf.done()
  await close()
  console.log(summarise(perfData, usPerRequest, 30))
  process.exit(0)
}
await close()
// --cpu-prof writes one file per thread; the main thread's is *.0.NNN.cpuprofile (tsx's loader thread is .1.)
const prof = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()[0]
if (!prof) throw new Error(`no .cpuprofile in ${dir}`)
spawnSync(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'cpuprofile-summary.ts'), join(dir, prof), '30'], { stdio: 'inherit' })
process.exit(0)
