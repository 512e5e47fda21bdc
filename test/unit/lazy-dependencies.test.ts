/**
 * Dependencies only one mode needs are loaded when that mode starts, never at import time: ioredis
 * (session.redis; ~20 MB of RSS) and http-proxy-3 (upstream mode; ~4 MB of idle RSS). In src/ they may be
 * imported for their types only; the code loads them through createRequire where the mode begins. The serving
 * side (src/server.ts: Koa, the routes, the providers' login code) loads only when this process serves, so a
 * cluster primary, which only supervises, and check-config hold none of it (primary RSS 67 → 61 MB).
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { ROOT, tsFiles } from '../helpers/source-files.js'

const LAZY: readonly string[] = ['ioredis', 'http-proxy-3']
const srcFiles = tsFiles('src')

interface Use {
  file: string
  module: string
  /** `import type …`, `import { type X }` only, or `typeof import('…')`: erased from the compiled code. */
  typeOnly: boolean
}

function uses(file: string, modules: readonly string[] = LAZY): Use[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true)
  const found: Use[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && modules.includes(node.moduleSpecifier.text)) {
      const clause = node.importClause
      const named = clause?.namedBindings
      const allNamedTypes = named !== undefined && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly)
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && allNamedTypes))
      found.push({ file, module: node.moduleSpecifier.text, typeOnly })
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0]
      if (arg && ts.isStringLiteral(arg) && modules.includes(arg.text)) found.push({ file, module: arg.text, typeOnly: true })
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal) && modules.includes(node.argument.literal.text)) {
      found.push({ file, module: node.argument.literal.text, typeOnly: true })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const all = srcFiles.flatMap((f) => uses(f))

describe('dependencies one mode needs are loaded lazily', () => {
  it('finds the type imports (so the rule below cannot pass on nothing)', () => {
    for (const module of LAZY) expect(all.filter((u) => u.module === module).length).toBeGreaterThan(0)
  })

  it('src/ imports ioredis and http-proxy-3 for their types only', () => {
    expect(all.filter((u) => !u.typeOnly).map((u) => `${u.file}: ${u.module}`)).toEqual([])
  })

  it('each is loaded through createRequire where its mode starts', () => {
    expect(readFileSync(join(ROOT, 'src/session/redis.ts'), 'utf8')).toMatch(/createRequire\(import\.meta\.url\)\('ioredis'\)/)
    expect(readFileSync(join(ROOT, 'src/upstream.ts'), 'utf8')).toMatch(/load\('http-proxy-3'\)/)
  })
})

describe('a cluster primary and check-config do not load the serving side', () => {
  const SERVING = ['./server.js', './explain.js']
  const cli = uses('src/cli.ts', SERVING)

  it('src/cli.ts imports server.js and explain.js only where it serves or explains (dynamic import)', () => {
    expect(cli.map((u) => u.module).sort()).toEqual([...SERVING].sort())
    expect(cli.filter((u) => !u.typeOnly)).toEqual([])
  })
})
