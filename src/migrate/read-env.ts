/** `OAUTH2_PROXY_*` variables, from the process environment or an env file (`KEY=value` lines). */
import { canonicalKey, type OptionSource, type Value } from './options.js'

const PREFIX = 'OAUTH2_PROXY_'

/** Parses a dotenv-style file: `KEY=value`, optional `export `, quotes, `#` comments. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) continue
    let v = m[2]!
    if (/^"(.*)"$/.test(v)) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
    else if (/^'(.*)'$/.test(v)) v = v.slice(1, -1)
    else v = v.replace(/\s+#.*$/, '')
    out[m[1]!] = v
  }
  return out
}

export function readEnv(env: Record<string, string | undefined>, origin: string): OptionSource {
  const values = new Map<string, Value>()
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || v === undefined) continue
    values.set(canonicalKey(name.slice(PREFIX.length)), v)
  }
  return { origin, values, problems: [] }
}
