/**
 * What the package tests share: `npm pack` of this checkout (prepack runs the build), installs of the tarball,
 * and a running `gatehouse serve` child with its log.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']

/** A scratch folder every user can read (the sandboxed run is uid 65534). */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o755)
  return dir
}

export async function npmPack(dest: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await run('npm', ['pack', '--pack-destination', dest, '--json', '--loglevel=error'], { maxBuffer: 1 << 24 })
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  return { tarball: join(dest, info!.filename), files: info!.files.map((f) => f.path) }
}

/** `npm install -g` into an empty prefix: what `npm i -g gatehouse` does. Returns the `gatehouse` command. */
export async function installGlobal(tarball: string, prefix: string): Promise<string> {
  await run('npm', ['install', '-g', '--prefix', prefix, tarball, ...NPM_FLAGS], { maxBuffer: 1 << 24 })
  return join(prefix, 'bin', 'gatehouse')
}

/**
 * The image's layout (see Dockerfile): the tarball unpacked into `dir`, dependencies from the repository's lock
 * file, production only, no install scripts.
 */
export async function installProduction(tarball: string, dir: string, lockFile: string): Promise<void> {
  await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'])
  await run('cp', [lockFile, join(dir, 'package-lock.json')])
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', ...NPM_FLAGS], { cwd: dir, maxBuffer: 1 << 24 })
  await run('chmod', ['-R', 'a+rX', dir])
}

export function writeConfig(dir: string, port: number, extra: Record<string, unknown>): string {
  const file = join(dir, 'gatehouse.json')
  writeFileSync(file, JSON.stringify({ server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}` }, ...extra }))
  chmodSync(file, 0o644)
  return file
}

export interface Running {
  child: ChildProcess
  log(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startChild(command: string, args: string[], options: SpawnOptions): Running {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout!.on('data', (d) => (log += d))
  child.stderr!.on('data', (d) => (log += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, log: () => log, exited }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls url until it answers `status`; throws with the child's log after `ms`. */
export async function waitFor(url: string, status: number, ms: number, running?: Running): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const got = await fetch(url).then((r) => r.status, () => 0)
    if (got === status) return
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${ms} ms (last: ${got})\n${running?.log() ?? ''}`)
    if (running && running.child.exitCode !== null) throw new Error(`process exited (${running.child.exitCode}) before ${url} answered\n${running.log()}`)
    await sleep(100)
  }
}

/** True once nothing accepts connections on the port any more (bounded). */
export async function portClosed(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if ((await fetch(`http://127.0.0.1:${port}/ping`).then(() => 'open', () => 'closed')) === 'closed') return true
    await sleep(100)
  }
  return false
}

/** Pids of the whole process tree under `pid` (from /proc/<pid>/task/<tid>/children). */
export async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('sh', ['-c', `cat /proc/${pid}/task/*/children 2>/dev/null || true`])
  const kids = stdout.split(/\s+/).filter(Boolean).map(Number)
  return [...kids, ...(await Promise.all(kids.map(descendants))).flat()]
}
