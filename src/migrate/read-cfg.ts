/** The oauth2-proxy TOML config file (`--config`): top-level `key = value` lines. */
import { parse } from 'smol-toml'
import { canonicalKey, type OptionSource, type Value } from './options.js'

export function readCfg(text: string, origin: string): OptionSource {
  const values = new Map<string, Value>()
  const problems: string[] = []
  let doc: Record<string, unknown>
  try {
    doc = parse(text) as Record<string, unknown>
  } catch (err) {
    const first = (err as Error).message.split('\n')[0]
    return { origin, values, problems: [`${origin}: not a valid TOML file (${first})`] }
  }
  for (const [key, v] of Object.entries(doc)) {
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') values.set(canonicalKey(key), v)
    else if (Array.isArray(v) && v.every((e) => typeof e === 'string' || typeof e === 'number')) values.set(canonicalKey(key), v.map(String))
    else problems.push(`${origin}: ${key}: a table or mixed list is not an oauth2-proxy option; ignored`)
  }
  return { origin, values, problems }
}
