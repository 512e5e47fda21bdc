import { describe, expect, it } from '@jest/globals'
import { COMMANDS, parseCommandLine, UsageError } from '../../src/cli-args.js'
import fc from 'fast-check'
import { assertProperty } from '../helpers/property.js'

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
  it('any option a command does not define is refused, never ignored (generated names)', () => {
    const letter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-')
    // Near misses of real names (a letter dropped, added or changed) and random words.
    const nearMiss = fc
      .tuple(fc.constantFrom(...Object.keys(COMMANDS)), fc.nat(), fc.nat(), fc.constantFrom(0, 1, 2), letter)
      .map(([command, which, at, edit, l]) => {
        const known = Object.keys(COMMANDS[command]!.options)
        const base = known[which % known.length]!
        const i = at % base.length
        const name = [base.slice(0, i) + base.slice(i + 1), base.slice(0, i) + l + base.slice(i), base.slice(0, i) + l + base.slice(i + 1)][edit]!
        return { command, name }
      })
    const word = fc.tuple(fc.constantFrom(...Object.keys(COMMANDS)), fc.array(letter, { minLength: 1, maxLength: 10 })).map(([command, ls]) => ({ command, name: ls.join('') }))
    assertProperty(
      fc.property(fc.oneof({ arbitrary: nearMiss, weight: 3 }, { arbitrary: word, weight: 1 }), ({ command, name }) => {
        fc.pre(!Object.keys(COMMANDS[command]!.options).includes(name) && name !== '' && !name.startsWith('-'))
        const argv = [command, `--${name}`, 'value']
        expect({ argv, message: refused(argv) }).toEqual({ argv, message: expect.stringContaining(`unknown option --${name}`) })
      }),
      400,
    )
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
