/**
 * The `ui:` block: branding of the pages Gatehouse shows (sign-in, signed-out, forbidden, errors).
 * Every key is optional; the pages look the same without any. README "Branding" documents them.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { z } from 'zod'

/** Largest logo file accepted; it is held in memory and served by Gatehouse. */
export const MAX_LOGO_BYTES = 256 * 1024

export const uiSchema = z
  .object({
    /** Product or company name: heads every page and its `<title>`. */
    title: z.string().trim().min(1).max(80).optional(),
    /** A PNG, JPEG, GIF, WebP or SVG file (up to 256 KiB), read once at config load, served at /oauth2/static/logo. */
    logo: z.string().min(1).optional(),
    /** A line of plain text under every page (escaped, no HTML). */
    footer: z.string().trim().min(1).max(300).optional(),
    /** Button and highlight colour, `#rgb` or `#rrggbb`; the button text picks black or white for contrast. */
    accent: z
      .string()
      .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a CSS hex colour such as "#0a7d4f"')
      .optional(),
  })
  .strict()
  .default({})

export type RawUi = z.infer<typeof uiSchema>

export interface Logo {
  bytes: Buffer
  contentType: string
}

export interface UiConfig {
  title?: string
  footer?: string
  /** Normalised `#rrggbb`, lower-case. */
  accent?: string
  logo?: Logo
}

/** The image type by content, never by file name: a `.png` that is HTML is refused. */
export function sniffImage(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  const head = bytes.subarray(0, 12).toString('latin1')
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'image/gif'
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'image/webp'
  // SVG: text whose first element is <svg>, after an optional BOM, XML declaration, comments and doctype.
  const text = bytes.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '')
  if (/^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(text)) return 'image/svg+xml'
  return undefined
}

const expandHex = (hex: string) =>
  (hex.length === 4 ? '#' + [...hex.slice(1)].map((c) => c + c).join('') : hex).toLowerCase()

/** Reads and checks `ui.logo`; problems carry the key path like the schema's own. */
export async function uiConfig(raw: RawUi, baseDir: string): Promise<{ ui: UiConfig; problems: string[] }> {
  const problems: string[] = []
  let logo: Logo | undefined
  if (raw.logo) {
    const file = resolve(baseDir, raw.logo)
    try {
      const bytes = await readFile(file)
      const contentType = sniffImage(bytes)
      if (bytes.length > MAX_LOGO_BYTES) problems.push(`ui.logo: ${file} is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES} are allowed`)
      else if (!contentType) problems.push(`ui.logo: ${file} is not a PNG, JPEG, GIF, WebP or SVG image`)
      else logo = { bytes, contentType }
    } catch (err) {
      problems.push(`ui.logo: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
  }
  const ui: UiConfig = {
    ...(raw.title ? { title: raw.title } : {}),
    ...(raw.footer ? { footer: raw.footer } : {}),
    ...(raw.accent ? { accent: expandHex(raw.accent) } : {}),
    ...(logo ? { logo } : {}),
  }
  return { ui, problems }
}
