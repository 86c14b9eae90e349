#!/usr/bin/env node
/**
 * `node bench/onnx.mjs`: one-window latency of the published EmoHeal in one run, on the same weights and threads:
 * ONNX Runtime on our exported file (float32, float16, uint8), the whole-model TensorFlow function, PyTorch eager
 * and ONNX Runtime on the PyTorch-exported file (bench/onnx_torch_peer.py, where torch is present); and the files'
 * sizes. Target: our float32 file runs at least as fast as the PyTorch-exported one.
 *
 * Options: --threads N (ONNX Runtime intra-op, PyTorch and TensorFlow threads; default 1), --calls C (default 500),
 * --python PATH (default /usr/bin/python3), --json FILE (also write the figures there).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleForNode } from './bundle.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    calls: { type: 'string' },
    python: { type: 'string' },
    json: { type: 'string' }
  },
  strict: true
})
const threads = values.threads ?? '1'
const calls = values.calls ?? '500'
const python = values.python ?? '/usr/bin/python3'
const log = (line) => process.stderr.write(`[bench onnx] ${line}\n`)

const dir = mkdtempSync(path.join(tmpdir(), 'emoheal-bench-onnx-'))
try {
  const load = loadavg()[0]
  let peer = null
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' })
  if (probe.status === 0) {
    const stdout = execFileSync(
      python,
      [path.join(root, 'bench', 'onnx_torch_peer.py'), dir, '--threads', threads, '--calls', calls],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
    )
    peer = JSON.parse(stdout.trim().split('\n').pop())
  } else {
    log(`${python} has no torch: the PyTorch rows stay empty, our file runs on the parity fixture's weights`)
    execFileSync(python, [
      path.join(root, 'test', 'fixtures', 'torch', 'make_paper_parity.py'),
      dir,
      '--seed',
      '11'
    ])
  }
  const outfile = path.join(root, 'node_modules', '.cache', 'emoheal-bench', 'onnx.cjs')
  await bundleForNode({ outfile, entryPoints: [path.join(root, 'bench', 'onnx.ts')] })
  const args = [outfile, '--work', dir, '--threads', threads, '--calls', calls]
  if (peer?.onnxFile) args.push('--torch-onnx', peer.onnxFile)
  const stdout = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      TF_CPP_MIN_LOG_LEVEL: '2',
      TF_NUM_INTRAOP_THREADS: threads,
      TF_NUM_INTEROP_THREADS: '1'
    }
  })
  const ours = JSON.parse(stdout.trim().split('\n').pop())
  const rows = [...ours.rows]
  if (peer)
    rows.push({
      runtime: `pytorch ${peer.torch} eager`,
      bytes: null,
      medianMs: peer.eagerMs,
      p10: peer.eagerP10,
      p90: peer.eagerP90
    })
  const pad = (text, width) => String(text).padEnd(width)
  const lines = [
    `published EmoHeal (213,811 parameters), one window, ${threads} thread(s), ${calls} calls; onnxruntime ${ours.ortVersion}; load ${load.toFixed(2)}`,
    `${pad('runtime', 64)}${pad('file bytes', 12)}median ms (p10-p90)`,
    ...rows.map(
      (row) =>
        `${pad(row.runtime, 64)}${pad(row.bytes === null ? '-' : row.bytes.toLocaleString('en'), 12)}${row.medianMs.toFixed(3)} (${row.p10.toFixed(3)}-${row.p90.toFixed(3)})`
    )
  ]
  const mine = rows.find((row) => row.runtime.startsWith('onnxruntime, our file (float32'))
  const theirs = rows.find((row) => row.runtime.startsWith('onnxruntime, PyTorch-exported'))
  if (mine && theirs)
    lines.push(
      `target: our float32 file at most the PyTorch-exported file's latency: ${mine.medianMs.toFixed(3)} vs ${theirs.medianMs.toFixed(3)} ms -> ${mine.medianMs <= theirs.medianMs ? 'met' : 'NOT met'}`
    )
  console.log(lines.join('\n'))
  if (values.json) writeFileSync(values.json, JSON.stringify({ load, rows }, null, 2))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
