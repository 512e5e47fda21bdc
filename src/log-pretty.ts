/**
 * `logging.format: pretty`: pino's JSON lines rewritten as `time LEVEL message key=value …` for a terminal.
 * Values that are not plain words are JSON-quoted, so a header value cannot forge a second line or a key.
 */
const RESERVED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service'])

function value(v: unknown): string {
  if (typeof v === 'string' && /^[\w.:/@+-]{1,200}$/.test(v)) return v
  return JSON.stringify(v)
}

export function formatPretty(line: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line)
  } catch {
    return line.endsWith('\n') ? line : line + '\n'
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString() : ''
  const level = String(entry.level ?? '').toUpperCase().padEnd(5)
  const message = JSON.stringify(String(entry.msg ?? '')).slice(1, -1)
  const fields = Object.entries(entry)
    .filter(([k, v]) => !RESERVED.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`)
  return `${time} ${level} ${message}${fields.length ? ' ' + fields.join(' ') : ''}\n`
}

export function prettyStream(out: { write(line: string): unknown }): { write(line: string): void } {
  return { write: (line) => void out.write(formatPretty(line)) }
}
