const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy

/** Parses Go-style durations (`168h`, `1h30m`, `15m`, `500ms`) into seconds; undefined if invalid. */
export function parseDuration(text: string): number | undefined {
  if (!text) return undefined
  PART.lastIndex = 0
  let total = 0
  let consumed = 0
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!
    consumed = PART.lastIndex
  }
  return consumed === text.length ? total : undefined
}
