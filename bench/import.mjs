// With --embraceplus: the EmbracePlus importer on a week of Avro files instead (bench/import-embraceplus.mjs).
//
// Benchmark of the K-EmoCon importer on a synthetic study of full K-EmoCon size (32 participants, about
// 30 minutes of E4 recording each around a 10-minute debate), against pandas.read_csv on the same files.
//   node bench/import.mjs [--participants 32] [--keep]
// Prints seconds and peak memory of the import (in a process of its own) and the pandas ratio. On a busy
// machine wall seconds swing; the CPU times beside them say what the work itself cost.
import { bundleForNode } from './bundle.mjs'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

if (process.argv.includes('--embraceplus')) {
  await import('./import-embraceplus.mjs')
  process.exit(0)
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : fallback
}
const participants = Number(argument('participants', '32'))
const keep = process.argv.includes('--keep')

const bundle = join(root, '.cache', 'bench', 'datasets.cjs')
await bundleForNode({
  outfile: bundle,
  stdin: {
    contents: `
      export { synthesizeKemocon } from './src-main/datasets/synth/synthesize'
      export { importDataset } from './src-main/datasets/import-service'
      export { StudyStore } from './src-main/store/study-store'`,
    resolveDir: root,
    loader: 'ts'
  }
})
const { createRequire } = await import('node:module')
const datasets = createRequire(import.meta.url)(bundle)

const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-'))
const data = join(work, 'kemocon')
let started = performance.now()
datasets.synthesizeKemocon({
  out: data,
  participants,
  minutes: 10,
  seed: 2020,
  leadMinutes: 17,
  tailMinutes: 3
})
const synthSeconds = (performance.now() - started) / 1000

function folderBytes(dir) {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name)
    return sum + (statSync(path).isDirectory() ? folderBytes(path) : statSync(path).size)
  }, 0)
}
const megabytes = folderBytes(data) / 2 ** 20

// The import runs in a fresh process so that its peak memory is its own.
const importScript = `
  const datasets = require(${JSON.stringify(bundle)})
  const study = new datasets.StudyStore(${JSON.stringify(join(work, 'bench.emoheal'))}, { create: true })
  const started = performance.now()
  const report = datasets.importDataset(study, { kind: 'kemocon', path: ${JSON.stringify(data)} })
  const seconds = (performance.now() - started) / 1000
  study.close()
  console.log(JSON.stringify({ seconds, samples: report.totals.samples, sessions: report.totals.sessions,
    problems: report.participants.reduce((n, p) => n + p.problems.length, report.problems.length),
    peakMegabytes: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 }))`
started = performance.now()
const ours = JSON.parse(execFileSync(process.execPath, ['-e', importScript], { cwd: root, encoding: 'utf8' }))
const processSeconds = (performance.now() - started) / 1000

const pandas = JSON.parse(
  execFileSync('/usr/bin/python3', [join(root, 'bench', 'import_pandas.py'), data], { encoding: 'utf8' })
)

const rows = [
  [
    'data',
    `${participants} participants, ${megabytes.toFixed(0)} MB of CSV, ${ours.samples.toLocaleString('en')} samples`
  ],
  ['synthesis', `${synthSeconds.toFixed(2)} s`],
  [
    'import (parse, check, write SQLite)',
    `${ours.seconds.toFixed(2)} s (${(megabytes / ours.seconds).toFixed(0)} MB/s)`
  ],
  [
    'import process, start to exit',
    `${processSeconds.toFixed(2)} s (CPU time ${ours.cpuSeconds.toFixed(2)} s)`
  ],
  ['import peak memory (RSS)', `${ours.peakMegabytes.toFixed(0)} MB`],
  [
    'pandas.read_csv of the same files',
    `${pandas.seconds.toFixed(2)} s (CPU time ${pandas.cpuSeconds.toFixed(2)} s; pandas ${pandas.version}, peak ${pandas.peakMegabytes.toFixed(0)} MB)`
  ],
  ['import / read_csv', `${(ours.seconds / pandas.seconds).toFixed(2)}x`],
  ['problems reported', String(ours.problems)]
]
for (const [name, value] of rows) console.log(`${name.padEnd(38)} ${value}`)
if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`kept ${work}`)
