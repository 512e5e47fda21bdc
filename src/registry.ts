/**
 * The provider registry: an explicit list of built-ins plus third-party plugins named in config
 * (`type: some-npm-package` or `type: ./path/to/plugin.js`). Nothing registers itself on import.
 */
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ProviderDefinition } from './plugin.js'
import oidc from '../providers/oidc/index.js'
import keycloak from '../providers/keycloak/index.js'
import google from '../providers/google/index.js'
import github from '../providers/github/index.js'

export const BUILTIN_PROVIDERS: readonly ProviderDefinition<any>[] = [oidc, keycloak, google, github]

export type Registry = ReadonlyMap<string, ProviderDefinition<any>>

/** Indexes definitions by type; a duplicate type is a programming error and stops start-up. */
export function createRegistry(definitions: readonly ProviderDefinition<any>[]): Registry {
  const byType = new Map<string, ProviderDefinition<any>>()
  for (const d of definitions) {
    if (byType.has(d.type)) throw new Error(`duplicate provider type "${d.type}" in the registry`)
    byType.set(d.type, d)
  }
  return byType
}

const isPath = (type: string) => type.startsWith('./') || type.startsWith('../') || isAbsolute(type)

function looksLikeDefinition(value: unknown): value is ProviderDefinition<unknown> {
  const d = value as ProviderDefinition<unknown> | undefined
  return (
    typeof d === 'object' && d !== null && typeof d.type === 'string' &&
    typeof d.parseOptions === 'function' && typeof d.create === 'function'
  )
}

/**
 * Finds the definition for a config `type`: a built-in, or a plugin module whose default export
 * is a definition. `baseDir` is the config file's folder, against which relative paths resolve.
 * Returns an error message (listing the known types) instead of throwing.
 */
export async function resolveDefinition(
  registry: Registry,
  type: string,
  baseDir: string,
): Promise<ProviderDefinition<unknown> | string> {
  const builtin = registry.get(type)
  if (builtin) return builtin
  const known = [...registry.keys()].join(', ')
  if (!isPath(type) && !/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(type)) {
    return `unknown provider type "${type}"; known types: ${known} (or an npm package / ./plugin.js)`
  }
  let mod: { default?: unknown }
  try {
    mod = await import(isPath(type) ? pathToFileURL(resolve(baseDir, type)).href : type)
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return `unknown provider type "${type}": plugin could not be loaded (${why}); known types: ${known}`
  }
  if (!looksLikeDefinition(mod.default)) {
    return `plugin "${type}" does not default-export a provider definition (type, parseOptions, create)`
  }
  return mod.default
}
