import { readdirSync } from 'node:fs'
import { join, posix, sep } from 'node:path'

/** The repository root (jest runs from it). */
export const ROOT = process.cwd()

/** Every .ts file under `dir` (repo-relative), with POSIX separators, sorted: what the source-scanning tests read. */
export const tsFiles = (dir: string): string[] =>
  (readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => posix.join(dir, f.split(sep).join('/')))
    .sort()
