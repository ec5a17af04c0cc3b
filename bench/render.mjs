// Renders RESULTS.md again from a run's results.json, with the current report code: `node
// bench/render.mjs [results/results.json]`. The figures are the run's own; only their presentation is
// today's (a table or a note added to the report since the run).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderResults } from './report/markdown.mjs'

const BENCH = fileURLToPath(new URL('./', import.meta.url))
const source = process.argv[2] ?? `${BENCH}results/results.json`
const run = JSON.parse(readFileSync(source, 'utf8'))
const target =
  source === `${BENCH}results/results.json`
    ? `${BENCH}RESULTS.md`
    : source.replace(/results\.json$/, 'RESULTS.md')
writeFileSync(target, renderResults(run))
console.log(`wrote ${target} from ${source} (the run of ${run.date})`)
