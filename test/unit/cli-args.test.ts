import { describe, expect, it } from '@jest/globals'
import { COMMANDS, parseCommandLine, UsageError } from '../../src/cli-args.js'
import { seeded, seeds } from '../helpers/seeded.js'

const refused = (argv: string[]): string | undefined => {
  try {
    parseCommandLine(argv)
    return undefined
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    return err.message
  }
}

describe('command-line grammar', () => {
  it.each(seeds(64, 'cli flags'))('any option a command does not define is refused, never ignored (seed %d)', (seed) => {
    const random = seeded(seed)
    const letters = 'abcdefghijklmnopqrstuvwxyz-'
    for (let n = 0; n < 400; n++) {
      const command = random.pick(Object.keys(COMMANDS))
      const known = Object.keys(COMMANDS[command]!.options)
      // Near misses of real names (a letter dropped, added or changed) and random words.
      const base = random.pick(known)
      const i = random.int(base.length)
      const variants = [base.slice(0, i) + base.slice(i + 1), base.slice(0, i) + random.pick([...letters]) + base.slice(i), base.slice(0, i) + random.pick([...letters]) + base.slice(i + 1)]
      const name = random.int(4) === 0 ? Array.from({ length: 1 + random.int(10) }, () => random.pick([...letters])).join('') : random.pick(variants)
      if (known.includes(name) || name === '' || name.startsWith('-')) continue
      const argv = [command, `--${name}`, 'value']
      expect({ argv, message: refused(argv) }).toEqual({ argv, message: expect.stringContaining(`unknown option --${name}`) })
    }
  })

  it.each(Object.entries(COMMANDS).flatMap(([c, def]) => Object.entries(def.options).filter(([, o]) => o.type === 'string').map(([k]) => [c, k])))(
    '%s --%s without a value is refused',
    (command, option) => {
      expect(refused([command, `--${option}`])).toBe(`${command}: option --${option} needs a value`)
      expect(refused([command, `--${option}=`])).toBe(`${command}: option --${option} needs a value`)
      expect(refused([command, `--${option}`, '--help'])).toBe(`${command}: option --${option} needs a value`)
    },
  )

  it('reads values and help', () => {
    expect(parseCommandLine(['explain', '--url', 'https://a/', '--user-groups=a,b'])).toEqual({ kind: 'run', command: 'explain', flags: { url: 'https://a/', 'user-groups': 'a,b' } })
    expect(parseCommandLine(['serve', '-h'])).toMatchObject({ kind: 'help', text: expect.stringContaining('usage: gatehouse serve') })
    expect(parseCommandLine(['-V'])).toEqual({ kind: 'version' })
  })
})
