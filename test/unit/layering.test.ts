/**
 * The layering rule (providers/README.md): src/ never imports from providers/, except the provider
 * registry (src/registry.ts, the composition root); providers/ reach the core only through the
 * plugin entry point src/plugin.ts, as a third-party plugin does. Type-only imports count too: a
 * type import still ties a provider to the core's internals.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'
import { ROOT, tsFiles } from '../helpers/source-files.js'

interface Edge {
  file: string
  specifier: string
  /** Repo-relative, POSIX separators, without the .js/.ts extension. */
  target: string
}

/** Every module specifier written as a string literal: import/export … from, import x = require(), import(), import('…').T. */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const literal = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text)
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression)
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) literal(node.arguments[0])
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function edges(files: readonly string[]): Edge[] {
  return files.flatMap((file) =>
    specifiers(file)
      .filter((s) => s.startsWith('.'))
      .map((specifier) => ({
        file,
        specifier,
        target: relative(ROOT, resolve(ROOT, dirname(file), specifier)).split(sep).join('/').replace(/\.[cm]?[jt]s$/, ''),
      })),
  )
}

const report = (bad: readonly Edge[]) => bad.map((e) => `${e.file}: '${e.specifier}' (${e.target})`).join('\n')

const srcFiles = tsFiles('src')
const providerFiles = tsFiles('providers')
const srcEdges = edges(srcFiles)
const providerEdges = edges(providerFiles)

describe('layering', () => {
  it('scans the real tree (so the rules below cannot pass on nothing)', () => {
    expect(srcFiles.length).toBeGreaterThan(80)
    expect(providerFiles.length).toBeGreaterThan(10)
    expect(srcEdges.length).toBeGreaterThan(200)
    expect(providerEdges.length).toBeGreaterThan(30)
    // The registry's imports of the built-ins, and the providers' imports of the plugin entry point, are seen.
    expect(srcEdges.filter((e) => e.file === 'src/registry.ts' && e.target.startsWith('providers/')).length).toBeGreaterThanOrEqual(4)
    expect(providerEdges.filter((e) => e.target === 'src/plugin').length).toBeGreaterThanOrEqual(8)
    // Type-only and dynamic imports are extracted too.
    expect(srcEdges.some((e) => e.file === 'src/cli.ts' && e.specifier === './migrate/cli.js')).toBe(true)
    expect(srcEdges.some((e) => e.file === 'src/tokens/bearer.ts' && e.specifier === '../config/load.js')).toBe(true)
  })

  it('src/ does not import from providers/, except the provider registry', () => {
    const bad = srcEdges.filter((e) => e.file !== 'src/registry.ts' && (e.target === 'providers' || e.target.startsWith('providers/')))
    expect(report(bad)).toBe('')
  })

  it('providers/ import from src/ only through src/plugin.ts', () => {
    const bad = providerEdges.filter((e) => (e.target === 'src' || e.target.startsWith('src/')) && e.target !== 'src/plugin')
    expect(report(bad)).toBe('')
  })
})
