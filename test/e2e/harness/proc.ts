/**
 * Child processes for the e2e stack: each runs in its own process group, logs to a file under artifacts/, and is
 * stopped with SIGTERM then SIGKILL after a bounded wait. Every group still alive when the test process exits is
 * killed synchronously, so a failed or interrupted run leaves no orphans.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'

const live = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const pgid of live) {
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  })
}

export interface Managed {
  name: string
  pid: number
  logFile: string
  /** Last ~16 KB of stdout+stderr, for error messages. */
  tail(): string
  /** Set once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  hasExited(): boolean
  stop(graceMs?: number): Promise<void>
}

export interface StartOptions {
  name: string
  command: string
  args: string[]
  logFile: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export function startProcess(opts: StartOptions): Managed {
  installExitHook()
  mkdirSync(dirname(opts.logFile), { recursive: true })
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'w' })
  log.write(`$ ${opts.command} ${opts.args.join(' ')}\n`)
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: kill(-pid) reaches grandchildren (nginx workers, tsx loaders)
  }
  let child: ChildProcess
  try {
    child = spawn(opts.command, opts.args, spawnOpts)
  } catch (err) {
    log.end()
    throw new Error(`${opts.name}: cannot start ${opts.command}: ${(err as Error).message}`)
  }
  let buffer = ''
  const onData = (chunk: Buffer) => {
    log.write(chunk)
    buffer = (buffer + chunk.toString('utf8')).slice(-16_384)
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)

  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      buffer += `\n[spawn error] ${err.message}\n`
      done = true
      if (child.pid) live.delete(child.pid)
      log.end()
      resolve({ code: -1, signal: null })
    })
    child.once('exit', (code, signal) => {
      done = true
      if (child.pid) live.delete(child.pid)
      // let the pipes drain into the log before closing it
      setImmediate(() => log.end(`\n[exited code=${code} signal=${signal}]\n`))
      resolve({ code, signal })
    })
  })
  if (child.pid) live.add(child.pid)

  const killGroup = (signal: NodeJS.Signals) => {
    if (!child.pid) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // group already gone
    }
  }

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logFile: opts.logFile,
    tail: () => buffer,
    exited,
    hasExited: () => done,
    async stop(graceMs = 5000) {
      if (done) {
        killGroup('SIGKILL') // stray grandchildren, if any
        return
      }
      killGroup('SIGTERM')
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref())
      if ((await Promise.race([exited, timer])) === 'timeout') {
        killGroup('SIGKILL')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())])
      }
      killGroup('SIGKILL')
    },
  }
}

/** Polls `check` until it returns true; fails early when the process dies, and after `timeoutMs`. */
export async function waitFor(
  proc: Managed | undefined,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError = ''
  while (Date.now() < deadline) {
    if (proc?.hasExited()) {
      throw new Error(`${proc.name} exited before ${what}; log ${proc.logFile}:\n${proc.tail().slice(-4000)}`)
    }
    try {
      if (await check()) return
    } catch (err) {
      lastError = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  const log = proc ? `; log ${proc.logFile}:\n${proc.tail().slice(-4000)}` : ''
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${log}`)
}
