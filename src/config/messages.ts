/**
 * Configuration problems in Gatehouse's words, not the validator's: `cookie: is required` instead of
 * `Invalid input: expected object, received undefined`. Installed as zod's global error map, so the
 * provider plugins' option schemas speak the same way; a message written on a schema still wins.
 */
import { z } from 'zod'

const KINDS: Record<string, string> = {
  object: 'a map of settings',
  record: 'a map of settings',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
}

function what(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  return `${typeof value} ${String(value)}`
}

const plural = (n: number | bigint, one: string, many: string) => `${n} ${Number(n) === 1 ? one : many}`

type Issue = z.core.$ZodRawIssue

function sizeMessage(issue: Issue & { origin?: string; minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean }): string | undefined {
  const small = issue.code === 'too_small'
  const bound = (small ? issue.minimum : issue.maximum) ?? 0
  const word = small ? 'at least' : 'at most'
  switch (issue.origin) {
    case 'string':
      return small && Number(bound) === 1 ? 'must not be empty' : `must be ${word} ${plural(bound, 'character', 'characters')} long`
    case 'array':
    case 'set':
      return small && Number(bound) === 1 ? 'must not be empty' : `must have ${word} ${plural(bound, 'entry', 'entries')}`
    case 'number':
    case 'int':
    case 'bigint':
      if (issue.inclusive === false) return `must be ${small ? 'greater' : 'less'} than ${bound}`
      return `must be ${word} ${bound}`
    default:
      return undefined
  }
}

export function configIssueMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `must be ${KINDS[issue.expected] ?? issue.expected}, not ${what(issue.input)}`
    case 'invalid_format':
      if (issue.format === 'url') return 'must be an absolute URL such as https://sso.example.com'
      if (issue.format === 'email') return 'must be an email address'
      if (issue.format === 'regex') return `has the wrong format (expected ${(issue as { pattern?: string }).pattern})`
      return `is not a valid ${issue.format}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    case 'too_small':
    case 'too_big':
      return sizeMessage(issue)
    case 'invalid_union':
      return `has the wrong type (${what(issue.input)})`
    case 'invalid_key':
      return 'has an invalid key'
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
    default:
      return undefined
  }
}

z.config({ customError: configIssueMessage })
