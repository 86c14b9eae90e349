// Benchmark of the EmbracePlus importer on a week of continuous wear (336 Avro files of 30 minutes), against
// Python's fastavro reading the same files into numpy arrays with their sample times.
//   node bench/import.mjs --embraceplus [--files 336] [--keep] [--no-export]
// The week is generated once into .cache/bench/embraceplus-<files>/ (reused by later runs). The import runs in
// a process of its own so that its peak memory is its own; then `emoheal export csv`'s exporter writes the
// session, also in its own process.
import { bundleForNode } from './bundle.mjs'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`)
  return index > 0 ? process.argv[index + 1] : fallback
}
const files = Number(argument('files', '336'))
const keep = process.argv.includes('--keep')
const exportToo = !process.argv.includes('--no-export')

const bundle = join(root, '.cache', 'bench', 'embraceplus.cjs')
await bundleForNode({
  outfile: bundle,
  stdin: {
    contents: `
      export { writeEmbracePlusWeek, countFiles, PARTICIPANT } from './bench/embraceplus-week'
      export { importDataset } from './src-main/datasets/import-service'
      export { exportSessionCsv } from './src-main/export/session-csv'
      export { StudyStore } from './src-main/store/study-store'`,
    resolveDir: root,
    loader: 'ts'
  }
})
const { createRequire } = await import('node:module')
const bench = createRequire(import.meta.url)(bundle)

let started = performance.now()
const week = join(root, '.cache', 'bench', `embraceplus-${files}`)
const data = await bench.writeEmbracePlusWeek(
  week,
  join(root, 'test', 'fixtures', 'embraceplus', 'versions', 'v64.avro'),
  files
)
const generateSeconds = (performance.now() - started) / 1000

function folderBytes(dir) {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name)
    return sum + (statSync(path).isDirectory() ? folderBytes(path) : statSync(path).size)
  }, 0)
}
const megabytes = folderBytes(data) / 2 ** 20
const found = bench.countFiles(data)

const work = mkdtempSync(join(tmpdir(), 'emoheal-bench-embraceplus-'))
const studyPath = join(work, 'bench.emoheal')
const measure = `
  const usage = () => ({ peakMegabytes: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 })`
const importScript = `${measure}
  const bench = require(${JSON.stringify(bundle)})
  const study = new bench.StudyStore(${JSON.stringify(studyPath)}, { create: true })
  const started = performance.now()
  const report = bench.importDataset(study, { kind: 'embraceplus', path: ${JSON.stringify(data)}, participant: bench.PARTICIPANT })
  const seconds = (performance.now() - started) / 1000
  study.close()
  console.log(JSON.stringify({ seconds, samples: report.totals.samples, sessions: report.totals.sessions,
    streams: report.totals.streams, files: report.participants.reduce((n, p) => n + (p.files ? p.files.count : 0), 0),
    overlapDropped: report.participants.reduce((n, p) => n + (p.files ? p.files.overlapSamplesDropped : 0), 0),
    problems: report.participants.reduce((n, p) => n + p.problems.length, report.problems.length), ...usage() }))`
started = performance.now()
const ours = JSON.parse(
  execFileSync(process.execPath, ['-e', importScript], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
)
const processSeconds = (performance.now() - started) / 1000

let exported
if (exportToo) {
  const exportScript = `${measure}
    const bench = require(${JSON.stringify(bundle)})
    const study = new bench.StudyStore(${JSON.stringify(studyPath)})
    const started = performance.now()
    bench.exportSessionCsv(study, 1, ${JSON.stringify(join(work, 'csv'))}).then((summary) => {
      const seconds = (performance.now() - started) / 1000
      study.close()
      console.log(JSON.stringify({ seconds, files: summary.files.length,
        rows: summary.files.reduce((n, f) => n + f.samples, 0), ...usage() }))
    })`
  exported = JSON.parse(execFileSync(process.execPath, ['-e', exportScript], { cwd: root, encoding: 'utf8' }))
  exported.megabytes = folderBytes(join(work, 'csv')) / 2 ** 20
}

const peer = JSON.parse(
  execFileSync('/usr/bin/python3', [join(root, 'bench', 'import_fastavro.py'), data], { encoding: 'utf8' })
)

const rows = [
  ['data', `${found} Avro files (${megabytes.toFixed(0)} MB), ${ours.samples.toLocaleString('en')} samples`],
  ['generation (first run only)', `${generateSeconds.toFixed(2)} s`],
  [
    'import (decode, join, check, write SQLite)',
    `${ours.seconds.toFixed(2)} s (${(ours.samples / ours.seconds / 1e6).toFixed(1)} M samples/s)`
  ],
  [
    'import process, start to exit',
    `${processSeconds.toFixed(2)} s (CPU time ${ours.cpuSeconds.toFixed(2)} s)`
  ],
  ['import peak memory (RSS)', `${ours.peakMegabytes.toFixed(0)} MB`],
  [
    'sessions, streams, files joined',
    `${ours.sessions}, ${ours.streams}, ${ours.files} (${ours.overlapDropped} repeated samples left out)`
  ],
  [
    'fastavro + numpy of the same files',
    `${peer.seconds.toFixed(2)} s (CPU time ${peer.cpuSeconds.toFixed(2)} s; fastavro ${peer.version}, peak ${peer.peakMegabytes.toFixed(0)} MB)`
  ],
  ['import / fastavro', `${(ours.seconds / peer.seconds).toFixed(2)}x`],
  ['problems reported', String(ours.problems)]
]
if (exported)
  rows.push([
    'export csv of the session',
    `${exported.seconds.toFixed(2)} s, ${exported.files} files, ${exported.rows.toLocaleString('en')} rows, ${exported.megabytes.toFixed(0)} MB, peak ${exported.peakMegabytes.toFixed(0)} MB`
  ])
for (const [name, value] of rows) console.log(`${name.padEnd(42)} ${value}`)
if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`kept ${work}`)
