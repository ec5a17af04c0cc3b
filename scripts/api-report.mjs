// The public API of every package, as API Extractor reports (packages/<name>/etc/*.api.md), one per
// entry point in the package's `exports`. Reads the built `.d.ts`, so run `pnpm build` first.
//   node scripts/api-report.mjs           fail (exit 1) if any report differs from the build: an
//                                          unreviewed change of the public API
//   node scripts/api-report.mjs --update  rewrite the reports, to commit with the change
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor'

const root = fileURLToPath(new URL('../', import.meta.url))
const update = process.argv.includes('--update')
let failed = 0

for (const dir of readdirSync(`${root}packages`)) {
  const folder = `${root}packages/${dir}`
  const pkg = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'))
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue // ./package.json
    const entry = subpath === '.' ? '' : `-${subpath.slice(2).replaceAll('/', '-')}`
    const reportName = `${dir}${entry}`
    const types = `${folder}/${target.import.types.slice(2)}`
    if (update) mkdirSync(`${folder}/etc`, { recursive: true })
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: folder,
        mainEntryPointFilePath: types,
        bundledPackages: [],
        // Only the entry's ESM declarations: the .d.cts twin would declare each augmentation again.
        compiler: {
          overrideTsconfig: {
            compilerOptions: { lib: ['ES2023', 'DOM'], types: ['node'], module: 'NodeNext', strict: true },
            files: [types],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: reportName,
          reportFolder: '<projectFolder>/etc/',
          reportTempFolder: `${root}node_modules/.cache/api-extractor/`,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The report itself is the review: what API Extractor would say about release tags and
          // TSDoc style is left out, so only a change of the API fails the check.
          extractorMessageReporting: {
            default: { logLevel: 'none' },
            'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
          compilerMessageReporting: { default: { logLevel: 'warning' } },
        },
      },
      configObjectFullPath: `${folder}/api-extractor.json`,
      packageJsonFullPath: `${folder}/package.json`,
    })
    const result = Extractor.invoke(config, {
      localBuild: update,
      // The workspace's TypeScript, the one the declarations were built with.
      typescriptCompilerFolder: `${root}node_modules/typescript`,
      // Its preamble ("Analysis will use…") is the one line a clean run would print.
      messageCallback: (message) => {
        if (message.messageId === 'console-preamble') message.handled = true
      },
    })
    if (!result.succeeded || (result.apiReportChanged && !update)) {
      failed++
      console.error(
        `${pkg.name}${subpath.slice(1)}: the public API differs from packages/${dir}/etc/${reportName}.api.md; review it, then run pnpm api:update and commit the report`,
      )
    } else if (result.apiReportChanged) {
      console.log(`${pkg.name}${subpath.slice(1)}: packages/${dir}/etc/${reportName}.api.md updated`)
    }
  }
}
process.exit(failed > 0 ? 1 : 0)
