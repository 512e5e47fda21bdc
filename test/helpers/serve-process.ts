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
