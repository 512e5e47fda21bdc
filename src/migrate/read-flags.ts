/**
 * oauth2-proxy command-line flags, as in a Helm `extraArgs` list or a compose `command:`:
 * `--flag=value`, `--flag value`, `-flag`, bare booleans and repeated list flags. `--config` and
 * `--alpha-config` are returned apart so the caller can read those files.
 */
import { BOOL_KEYS, keyOfFlag, LIST_KEYS, type OptionSource, type Value } from './options.js'

export interface FlagsRead extends OptionSource {
  config?: string
  alphaConfig?: string
}

/** Splits a shell-like command string (`--config /x.cfg --upstream="http://a b"`), quotes respected. */
export function splitCommand(command: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+)/g
  let word = ''
  let last = -1
  for (const m of command.matchAll(re)) {
    const piece = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!)
    if (m.index === last) word += piece
    else {
      if (last >= 0) out.push(word)
      word = piece
    }
    last = m.index + m[0].length
  }
  if (last >= 0) out.push(word)
  return out
}

export function readFlags(args: readonly string[], origin: string): FlagsRead {
  const values = new Map<string, Value>()
  const problems: string[] = []
  const result: FlagsRead = { origin, values, problems }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      problems.push(`${origin}: "${arg}" is not a flag; ignored`)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(0, eq) : arg
    const key = keyOfFlag(name)
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined
    if (value === undefined) {
      const next = args[i + 1]
      if (BOOL_KEYS.has(key) && (next === undefined || next.startsWith('-') || !/^(true|false)$/i.test(next))) value = 'true'
      else if (next !== undefined && !next.startsWith('--')) value = args[++i]!
      else {
        problems.push(`${origin}: ${name} has no value; ignored`)
        continue
      }
    }
    if (key === 'config') result.config = value
    else if (key === 'alpha_config') result.alphaConfig = value
    else if (LIST_KEYS.has(key)) {
      // pflag's string slices are CSV: commas split, even inside a regex.
      const parts = value.split(',').map((s) => s.trim()).filter(Boolean)
      const prev = values.get(key)
      values.set(key, [...(Array.isArray(prev) ? prev : []), ...parts])
    } else values.set(key, value)
  }
  return result
}
