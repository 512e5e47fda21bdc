/** Small helpers for providers' `parseOptions`, so each reports `key: message` problems alike. */
import type { z } from 'zod'
import type { ParseResult } from '../../src/plugin.js'

export function parseWith<O>(schema: z.ZodType<O>, raw: Record<string, unknown>): ParseResult<O> {
  const result = schema.safeParse(raw)
  if (result.success) return { ok: true, options: result.data }
  return {
    ok: false,
    errors: result.error.issues.map((issue) => {
      const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '')
      if (issue.code === 'unrecognized_keys') return `${path ? path + '.' : ''}${issue.keys.join(', ')}: unknown option`
      return `${path || '(options)'}: ${issue.message}`
    }),
  }
}
