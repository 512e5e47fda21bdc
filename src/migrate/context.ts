/**
 * The merged options and the report being written. Each mapping step reads options through this, which
 * marks them handled; what no step handled ends in the report as not supported (map.ts).
 */
import { asBool, asList, asString, flagOfKey, type Value } from './options.js'

export type Status = 'mapped' | 'difference' | 'not-needed' | 'unsupported' | 'missing'

export interface ReportLine {
  /** The flag spelling, e.g. `--cookie-secret`. */
  option: string
  /** Where the value came from (file name, "flags", "environment"). */
  origin: string
  status: Status
  /** The Gatehouse key it went to. */
  target?: string
  note?: string
}

/** An environment variable the output refers to (`${NAME}`), and where its value comes from. */
export interface EnvRef {
  name: string
  why: string
  /** The value found in the input, kept in memory only (tests feed it to check-config); never written. */
  value?: string
}

export interface Merged {
  value: Value
  origin: string
}

export class MigrateContext {
  /** Options that have a report line. */
  readonly reported = new Set<string>()
  readonly lines: ReportLine[] = []
  readonly envRefs: EnvRef[] = []

  constructor(
    readonly options: ReadonlyMap<string, Merged>,
    /** Reads a file the configuration names (emails file), relative to the input; undefined when it cannot. */
    readonly readFile: (path: string) => string | undefined = () => undefined,
  ) {}

  has(key: string): boolean {
    return this.options.has(key)
  }
  str(key: string): string | undefined {
    return asString(this.options.get(key)?.value)
  }
  bool(key: string): boolean | undefined {
    return asBool(this.options.get(key)?.value)
  }
  list(key: string): string[] {
    return asList(this.options.get(key)?.value)
  }

  /** The report line for an option, if the input set it. */
  line(key: string, status: Status, target?: string, note?: string): void {
    const got = this.options.get(key)
    if (!got) return
    // A later, more specific finding replaces the first line about the option.
    const line = { option: flagOfKey(key), origin: got.origin, status, target, note }
    const at = this.lines.findIndex((l) => l.option === line.option && l.origin === line.origin)
    if (at >= 0) this.lines[at] = line
    else this.lines.push(line)
    this.reported.add(key)
  }
  /** A report line about something the input lacks or implies, not tied to one set option. */
  remark(option: string, status: Status, target?: string, note?: string): void {
    this.lines.push({ option, origin: '-', status, target, note })
  }

  /** `${NAME}` for a secret, remembering the value the input had for it. */
  secret(name: string, why: string, value?: string): string {
    if (!this.envRefs.some((e) => e.name === name)) this.envRefs.push({ name, why, value })
    return `\${${name}}`
  }
}
