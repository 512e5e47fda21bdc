/** `gatehouse migrate`'s command-line side: inputs from flags, outputs to files or stdout/stderr. */
import { writeFileSync } from 'node:fs'
import { EXIT_USAGE } from '../cli-args.js'
import { migrate, MigrateInputError } from './migrate.js'

export function runMigrate(flags: Record<string, string | undefined>, rest: string[] | undefined): number {
  const env = flags['from-env'] ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OAUTH2_PROXY_'))) : undefined
  const deploy = flags.compose ?? flags['helm-values']
  if (!flags.cfg && !flags['alpha-config'] && !flags['env-file'] && !env && !deploy && !rest?.length) {
    process.stderr.write("gatehouse migrate: no input: give --cfg, --alpha-config, --env-file, --from-env, --compose, --helm-values or flags after -- (see 'gatehouse migrate --help')\n")
    return EXIT_USAGE
  }
  try {
    const result = migrate({ cfg: flags.cfg, alphaConfig: flags['alpha-config'], envFile: flags['env-file'], env, args: rest, deploy, out: flags.out })
    if (flags.out) writeFileSync(flags.out, result.yaml)
    else process.stdout.write(result.yaml)
    if (flags.report) writeFileSync(flags.report, result.report)
    else process.stderr.write(result.report)
    if (flags.out || flags.report) process.stderr.write(`gatehouse migrate: wrote ${[flags.out, flags.report].filter(Boolean).join(' and ')}\n`)
    return 0
  } catch (err) {
    if (!(err instanceof MigrateInputError)) throw err
    process.stderr.write(`gatehouse migrate: ${err.message}\n`)
    return EXIT_USAGE
  }
}
