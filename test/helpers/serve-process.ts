/**
 * `gatehouse serve` as a child process (under tsx), ready when every worker listens.
 *
 * Polling the port said "up" as soon as the first worker listened: the second could still be loading, so
 * requests all went to one worker, a session event sent before it subscribed never reached it, and a cluster
 * scrape waited on a worker that could not answer yet. Readiness here is the workers' own `listening` log
 * lines (the config must log at info level), with one generous bound (120 s: three tsx starts at load 30 on 2 cores took over 60 s) for a loaded machine; a child that
 * exits first fails at once with its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { freePort, randomSecret } from './stack.js'
import { waitFor } from './wait.js'

export interface ServeProcess {
  child: ChildProcess
  stderr(): string
  /** SIGTERM, then the exit code (or 'timeout' after `ms`). */
  stop(ms?: number): Promise<number | null | 'timeout'>
}

export async function startServe(file: string, options: { listeners: number; timeoutMs?: number }): Promise<ServeProcess> {
  const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const handle: ServeProcess = {
    child,
    stderr: () => stderr,
    async stop(ms = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))
      try {
        return await Promise.race([exited, late])
      } finally {
        clearTimeout(timer)
      }
    },
  }
  let listening = 0
  let partial = ''
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on('data', (d) => {
      const lines = (partial + d).split('\n')
      partial = lines.pop()!
      for (const line of lines) if (line.includes('"msg":"listening"')) listening++
      if (listening >= options.listeners) resolve()
    })
  })
  const ms = options.timeoutMs ?? 120_000
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then((code) => `exited (${code})`),
    new Promise<string>((r) => (timer = setTimeout(() => r(`not listening after ${ms} ms (${listening} of ${options.listeners})`), ms))),
  ])
  clearTimeout(timer)
  if (outcome !== 'ready') {
    await handle.stop(5000)
    throw new Error(`gatehouse serve ${outcome}; stderr:\n${stderr}`)
  }
  return handle
}

export interface WorkersStack {
  realm: Realm
  url: string
  serve: ServeProcess
  /** what the workers logged on stdout so far */
  stdout(): string
  /** `n` concurrent /oauth2/auth checks, each on a fresh connection so the cluster's round robin spreads them */
  statuses(cookie: string, n?: number): Promise<number[]>
  close(): Promise<void>
}

/**
 * A dev realm and `gatehouse serve` with `server.workers: 2` (cookie store, no Redis), ready when both workers
 * listen (and so are subscribed to the session bus). `config` adds top-level YAML lines.
 */
export async function startWorkersStack(o: { name: string; backchannel?: boolean; config?: string }): Promise<WorkersStack> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const realm = await startRealm({
    users: DEMO_USERS,
    clients: [{
      clientId: 'gatehouse',
      clientSecret: 'gatehouse-secret',
      redirectUris: [`${url}/oauth2/callback`],
      ...(o.backchannel ? { backchannelLogoutUri: `${url}/oauth2/backchannel_logout` } : {}),
    }],
  })
  const file = join(mkdtempSync(join(tmpdir(), `gatehouse-${o.name}-`)), 'gatehouse.yaml')
  writeFileSync(file, `
server: { listen: "127.0.0.1:${port}", publicUrl: "${url}", workers: 2 }
cookie: { secret: "${randomSecret()}" }
providers: [{ id: corp, type: keycloak, issuer: "${realm.issuer}", clientId: gatehouse, clientSecret: gatehouse-secret, allowInsecureRequests: true }]
authorization: {}
logging: { level: info }
${o.config ?? ''}
`)
  let serve: ServeProcess
  try {
    serve = await startServe(file, { listeners: 2 })
  } catch (err) {
    await realm.close()
    throw err
  }
  let stdout = ''
  serve.child.stdout!.on('data', (d) => (stdout += d))
  if (!(await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 60_000))) {
    await serve.stop()
    await realm.close()
    throw new Error(`gatehouse serve never became ready; stderr:\n${serve.stderr()}`)
  }
  const statusOf = (cookie: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${url}/oauth2/auth`, { agent: false, headers: { cookie } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.end()
    })
  return {
    realm,
    url,
    serve,
    stdout: () => stdout,
    statuses: (cookie, n = 12) => Promise.all(Array.from({ length: n }, () => statusOf(cookie))),
    async close() {
      await serve.stop()
      await realm.close()
    },
  }
}
