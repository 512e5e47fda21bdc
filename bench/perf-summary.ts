/**
 * Summarises a `perf record` of a Node process (run with --perf-basic-prof so JIT frames carry JS names):
 * share of samples by category (kernel, V8 runtime and GC, V8 builtins, node's C++, OpenSSL's crypto, the
 * HTTP parser, JIT code by origin, libc), optionally in µs per request, and the top symbols.
 * `node --import tsx bench/perf-summary.ts FILE.data [µs-per-request] [N]`. Unlike a V8 .cpuprofile,
 * which books a blocked or preempted thread to the JS frame it was in (the "writev 50 %" of earlier
 * profiles), perf samples on-CPU time only, in every thread (libuv's thread pool included).
 */
import { spawn, spawnSync } from 'node:child_process'

/**
 * Node arguments for a process perf will record: JIT frames named (/tmp/perf-PID.map). --perf-basic-prof also
 * turns on V8's code log (isolate-*.log in the working directory), sent to /dev/null.
 */
export const PERF_NODE_ARGS = ['--perf-basic-prof', '--logfile=/dev/null', '--no-logfile-per-isolate']

/** `perf record` of one process for `seconds`; `done` resolves once the file is written. */
export function recordPerf(pid: number, file: string, seconds: number): { done(): Promise<void> } {
  const perf = spawn('perf', ['record', '-F', '2999', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()))
  return { done: () => exited }
}

export interface PerfRow { pct: number; dso: string; sym: string }

export function perfRows(file: string): PerfRow[] {
  const r = spawnSync('perf', ['report', '-i', file, '--sort', 'dso,sym', '--stdio'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 })
  if (r.status !== 0) throw new Error(`perf report -i ${file} failed: ${r.stderr}`)
  const rows: PerfRow[] = []
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\d.]+)%\s+(\[JIT\] tid \d+|\S+)\s+\[[.k]\]\s+(.*)$/.exec(line)
    if (m) rows.push({ pct: Number(m[1]), dso: m[2]!, sym: m[3]!.trim() })
  }
  return rows
}

/** A bounded set of categories, so that two processes' summaries line up. */
export function category({ dso, sym }: PerfRow): string {
  if (dso.startsWith('[kernel')) return 'kernel (syscalls, TCP loopback, scheduling)'
  if (dso.startsWith('[JIT]')) {
    if (sym.startsWith('RegExp:')) return 'JIT: regular expressions'
    if (/file:\/\/\/.*\/(dist\/)?(src|providers)\//.test(sym)) return 'JIT: Gatehouse code'
    if (sym.includes('node_modules')) return 'JIT: npm dependencies'
    if (sym.includes('node:')) return 'JIT: Node internals (http, streams, events)'
    return 'JIT: other (stubs, unnamed)'
  }
  if (dso === 'node') {
    if (/sha256|sha512|aes|gcm|ghash/i.test(sym)) return 'OpenSSL: hashing, AES-GCM'
    if (/bn_|rsaz|BN_|RSA|ecp_|EC_|ecdsa|ECDSA|p256|mont/i.test(sym)) return 'OpenSSL: RSA / ECDSA arithmetic'
    if (/ossl|OPENSSL|EVP_|CRYPTO_|ERR_/.test(sym)) return 'OpenSSL: other'
    if (sym.startsWith('llhttp')) return 'node: HTTP parser (llhttp)'
    if (sym.startsWith('Builtins_')) return 'V8 builtins (ICs, string, array ops)'
    if (/v8::internal::(Heap|Scavenge|MarkCompact|Sweeper|Concurrent|Minor|Evacuat|Marking|SemiSpace|PagedSpace|Memory)|Scaveng|Mark|Sweep|Evacuat/.test(sym)) return 'V8 garbage collection'
    if (sym.includes('v8::')) return 'V8 runtime (strings, lookups, allocation)'
    return 'node: C++ (bindings, streams, crypto glue)'
  }
  if (dso.startsWith('libc')) return 'libc (malloc, memcpy)'
  if (dso.startsWith('libcrypto')) return 'OpenSSL: other'
  return 'other'
}

export function summarise(file: string, usPerRequest?: number, top = 15): string {
  const rows = perfRows(file)
  const by = new Map<string, number>()
  for (const r of rows) by.set(category(r), (by.get(category(r)) ?? 0) + r.pct)
  const fmt = (pct: number) => `${pct.toFixed(1).padStart(5)} %${usPerRequest ? `  ${((pct / 100) * usPerRequest).toFixed(1).padStart(5)} µs` : ''}`
  const out = [...by].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${fmt(v)}  ${k}`)
  out.push('', 'top symbols:')
  for (const r of rows.slice(0, top)) out.push(`${fmt(r.pct)}  ${r.sym.slice(0, 110)}  [${r.dso.startsWith('[JIT]') ? 'JIT' : r.dso}]`)
  return out.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, us, top] = process.argv.slice(2)
  if (!file) throw new Error('usage: perf-summary.ts FILE.data [µs-per-request] [N]')
  console.log(summarise(file, us ? Number(us) : undefined, top ? Number(top) : undefined))
}
