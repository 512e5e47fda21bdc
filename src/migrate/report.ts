/** The migration report: a summary, the variables to set, then one line per option. */
import type { EnvRef, ReportLine, Status } from './context.js'

const WORDS: Record<Status, string> = {
  mapped: 'mapped to',
  difference: 'mapped with a difference to',
  'not-needed': 'not needed',
  unsupported: 'not supported',
  missing: 'missing from the input; set',
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function renderLine(l: ReportLine): string {
  const target = l.target ? ` \`${l.target}\`` : ''
  const word = l.status === 'not-needed' || l.status === 'unsupported' ? `${WORDS[l.status]}${l.target ? ` (${'`'}${l.target}${'`'})` : ''}` : `${WORDS[l.status]}${target}`
  return `- \`${l.option}\` (${l.origin}): ${word}${l.note ? `: ${l.note}` : ''}`
}

export function renderReport(input: { sources: string[]; lines: ReportLine[]; envRefs: EnvRef[]; problems: string[]; annotations: string[]; out?: string }): string {
  const count = (s: Status) => input.lines.filter((l) => l.status === s).length
  const parts = [
    '# gatehouse migrate report',
    '',
    `Read: ${input.sources.join(', ') || '(nothing)'}. Precedence as in oauth2-proxy: flags, then environment, then the config file.`,
    '',
    `${input.lines.length} option(s): ${count('mapped')} mapped, ${count('difference')} mapped with a difference, ${count('not-needed')} not needed, ${count('unsupported')} not supported, ${count('missing')} missing.`,
    '',
    `Check the result with \`gatehouse check-config --config ${input.out ?? 'gatehouse.yaml'}\` once the variables below are set.`,
    '',
    '## Environment variables the config refers to',
    '',
    'Secrets are never written into the config: it reads them as `${NAME}`.',
    '',
    ...input.envRefs.map((e) => `- \`${e.name}\`: ${e.why}${e.value !== undefined ? ' (a value was found in the input; keep it in a Secret or the environment)' : ''}`),
    '',
    '## Options',
    '',
    ...input.lines.map(renderLine),
  ]
  if (input.annotations.length) parts.push('', '## Ingress annotations', '', ...input.annotations)
  if (input.problems.length) parts.push('', '## Reading problems', '', ...input.problems.map((p) => `- ${cell(p)}`))
  return parts.join('\n') + '\n'
}
