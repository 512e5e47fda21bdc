#!/usr/bin/env node
// The installed `gatehouse` command runs the compiled build (dist/, made by `npm run build` and shipped in the
// package). From a git checkout: `npm run build` first, or run the sources with `node --import tsx src/cli.ts`.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/src/cli.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('gatehouse: no compiled build (dist/src/cli.js); run `npm run build` first\n')
  process.exit(1)
}
await import(entry.href)
