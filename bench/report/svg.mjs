// A horizontal bar chart as a standalone SVG string: groups of labelled bars on one linear scale.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12"'
const COLORS = ['#2f6db5', '#e07b39', '#3a9a5b', '#8a5cc2', '#c23b5a', '#6b7280']

function escapeXml(text) {
  return String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A round number just above `max`, and a tick count that splits it into round steps. */
function niceScale(max) {
  if (!(max > 0)) return { max: 1, ticks: 5 }
  const magnitude = 10 ** Math.floor(Math.log10(max))
  // Each ceiling with a tick count that cuts it into round steps.
  for (const [step, ticks] of [
    [1, 5],
    [1.5, 3],
    [2, 4],
    [2.5, 5],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 3],
    [8, 4],
    [10, 5],
  ]) {
    if (step * magnitude >= max) return { max: step * magnitude, ticks }
  }
  return { max: 10 * magnitude, ticks: 5 }
}

/**
 * @param {{ title: string, unit: string, groups: Array<{ label?: string, bars: Array<{ label: string, value: number, highlight?: boolean }> }>, seriesColors?: boolean }} chart
 */
export function barChart({ title, unit, groups, seriesColors = false }) {
  const labelWidth = 250
  const plotWidth = 420
  const valueWidth = 90
  const barHeight = 18
  const gap = 6
  const groupGap = groups.some((g) => g.label) ? 26 : 0
  const top = 40
  const width = labelWidth + plotWidth + valueWidth + 20
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite)
  const { max, ticks: tickCount } = niceScale(Math.max(0, ...values))
  const scale = (v) => (Number.isFinite(v) ? (Math.max(0, v) / max) * plotWidth : 0)

  const parts = []
  let y = top
  for (const group of groups) {
    if (group.label) {
      y += groupGap - 8
      parts.push(`<text x="10" y="${y}" font-weight="600">${escapeXml(group.label)}</text>`)
      y += 8
    }
    group.bars.forEach((bar, i) => {
      const color = seriesColors ? COLORS[i % COLORS.length] : bar.highlight ? COLORS[1] : COLORS[0]
      const w = scale(bar.value)
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 5}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}" rx="2"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + barHeight - 5}">${Number.isFinite(bar.value) ? Math.round(bar.value).toLocaleString('en-US') : 'n/a'}</text>`,
      )
      y += barHeight + gap
    })
  }
  const bottom = y + 24
  const ticks = []
  for (let i = 0; i <= tickCount; i++) {
    const x = labelWidth + (plotWidth * i) / tickCount
    ticks.push(
      `<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${y}" stroke="#d0d7de" stroke-width="1"/>`,
      `<text x="${x}" y="${y + 16}" text-anchor="middle" fill="#57606a">${((max * i) / tickCount).toLocaleString('en-US')}</text>`,
    )
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bottom}" viewBox="0 0 ${width} ${bottom}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${width - 10}" y="22" text-anchor="end" fill="#57606a">${escapeXml(unit)}</text>`,
    ...ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
