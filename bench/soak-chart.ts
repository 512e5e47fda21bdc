/**
 * The soak chart as a hand-built SVG: per phase, three panels over a shared time axis (throughput,
 * p99 latency, RSS) with the fault events drawn as labelled vertical lines and the IdP outage shaded.
 */
export interface ChartPhase {
  name: string
  /** seconds since the phase's paced run began, one point per bucket */
  t: number[]
  rps: number[]
  p99Ms: number[]
  rssMb: number[]
  events: { t: number; label: string }[]
  shaded: { from: number; to: number; label: string }[]
}

const W = 960
const PANEL_H = 110
const GAP = 26
const LEFT = 70
const RIGHT = 20
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v >= 10 ? v.toFixed(0) : v.toFixed(1))

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p
  return 10 * p
}

export function soakChart(phases: ChartPhase[], title: string): string {
  const series = [
    { key: 'rps', label: 'throughput (req/s)', color: '#1f77b4' },
    { key: 'p99Ms', label: 'p99 latency (ms)', color: '#d62728' },
    { key: 'rssMb', label: 'RSS (MB)', color: '#2ca02c' },
  ] as const
  const phaseH = 30 + series.length * (PANEL_H + GAP) + 10
  const H = 40 + phases.length * phaseH
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`)
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`)
  phases.forEach((ph, pi) => {
    const top = 40 + pi * phaseH
    const tMax = Math.max(1, ...ph.t)
    const x = (t: number) => LEFT + ((W - LEFT - RIGHT) * t) / tMax
    out.push(`<text x="${LEFT}" y="${top + 16}" font-size="13" font-weight="bold">${esc(ph.name)}</text>`)
    series.forEach((s, si) => {
      const y0 = top + 30 + si * (PANEL_H + GAP)
      const values = ph[s.key]
      const vMax = niceMax(Math.max(0, ...values.filter(Number.isFinite)))
      const y = (v: number) => y0 + PANEL_H - (PANEL_H * Math.min(v, vMax)) / vMax
      out.push(`<rect x="${LEFT}" y="${y0}" width="${W - LEFT - RIGHT}" height="${PANEL_H}" fill="#fafafa" stroke="#ccc"/>`)
      for (const sh of ph.shaded) {
        out.push(`<rect x="${x(sh.from).toFixed(1)}" y="${y0}" width="${Math.max(1, x(sh.to) - x(sh.from)).toFixed(1)}" height="${PANEL_H}" fill="#f5c542" fill-opacity="0.25"/>`)
        if (si === 0) out.push(`<text x="${(x(sh.from) + 3).toFixed(1)}" y="${y0 + PANEL_H - 4}" fill="#8a6d00">${esc(sh.label)}</text>`)
      }
      for (const f of [0, 0.5, 1]) {
        const gy = y0 + PANEL_H * (1 - f)
        out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${gy}" y2="${gy}" stroke="#e3e3e3"/>`)
        out.push(`<text x="${LEFT - 6}" y="${gy + 4}" text-anchor="end" fill="#555">${fmt(vMax * f)}</text>`)
      }
      out.push(`<text x="${LEFT + 6}" y="${y0 + 13}" fill="${s.color}" font-weight="bold">${esc(s.label)}</text>`)
      const pts = ph.t.map((t, i) => [t, values[i]!] as const).filter(([, v]) => Number.isFinite(v))
      if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`)
      ph.events.forEach((e, ei) => {
        out.push(`<line x1="${x(e.t).toFixed(1)}" x2="${x(e.t).toFixed(1)}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="#555" stroke-dasharray="3,3"/>`)
        if (si === 0) {
          const right = x(e.t) > W - RIGHT - 140
          out.push(`<text x="${(x(e.t) + (right ? -3 : 3)).toFixed(1)}" y="${y0 + 26 + (ei % 3) * 12}" fill="#333"${right ? ' text-anchor="end"' : ''}>${esc(e.label)}</text>`)
        }
      })
      if (si === series.length - 1) {
        const step = niceMax(tMax / 8)
        for (let t = 0; t <= tMax + 1e-9; t += step) out.push(`<text x="${x(t).toFixed(1)}" y="${y0 + PANEL_H + 14}" text-anchor="middle" fill="#555">${fmt(t)} s</text>`)
      }
    })
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
