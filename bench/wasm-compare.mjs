#!/usr/bin/env node
/**
 * Old against new on the same machine in one run: builds bench/wasm-speed.ts against this tree and against
 * another checkout (--peer DIR, e.g. a worktree of the commit before a change), runs them alternately
 * (peer, this, peer, this, ... --rounds times) on one backend, and prints every figure with the 1-minute load
 * average beside it. Only figures from one run are comparable: other processes on the cores move them all.
 *
 * Usage: node bench/wasm-compare.mjs --peer /work/old [--rounds 2] [--backend wasm] [--models paper,native-rate]
 *        [--training off] [--quick]; PROFILE=1 adds milliseconds per kernel kind (the JSON, --json FILE).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleForNode } from './bundle.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    peer: { type: 'string' },
    rounds: { type: 'string' },
    backend: { type: 'string' },
    models: { type: 'string' },
    training: { type: 'string' },
    quick: { type: 'boolean' },
    json: { type: 'string' }
  },
  strict: true
})
if (!values.peer) throw new Error('--peer DIR: the checkout to compare with')
const rounds = Number(values.rounds ?? 2)
const source = path.join(root, 'bench', 'wasm-speed.ts')

/**
 * Older trees kept several engine modules at the engine's root (backend.ts, execution-policy.ts, ...) that now
 * live in folders (runtime/, runs/, ...): where this tree's path is missing there, the root's file is taken.
 */
const earlierLayout = (tree) => ({
  name: 'earlier-layout',
  setup(builder) {
    const engine = path.join(tree, 'src-main', 'engine')
    builder.onResolve({ filter: /^\.\.?\// }, ({ path: specifier, resolveDir }) => {
      const wanted = path.resolve(resolveDir, specifier)
      if (!wanted.startsWith(`${engine}${path.sep}`) || existsSync(`${wanted}.ts`) || existsSync(wanted))
        return
      const atRoot = path.join(engine, `${path.basename(wanted)}.ts`)
      return existsSync(atRoot) ? { path: atRoot } : undefined
    })
  }
})

/** The entry built as if it lay in `tree`/bench, so that its relative imports are that tree's modules. */
async function bundleFor(tree, label) {
  return bundleForNode({
    outfile: path.join(root, 'node_modules', '.cache', 'emoheal-bench-wasm', `${label}-${process.pid}.cjs`),
    stdin: {
      contents: readFileSync(source, 'utf8'),
      resolveDir: path.join(tree, 'bench'),
      sourcefile: 'wasm-speed.ts',
      loader: 'ts'
    },
    plugins: [earlierLayout(tree)]
  })
}

const args = [
  ...(values.backend ? ['--backend', values.backend] : []),
  ...(values.models ? ['--models', values.models] : []),
  ...(values.training ? ['--training', values.training] : []),
  ...(values.quick ? ['--quick'] : [])
]
const trees = [
  { label: 'old', tree: path.resolve(values.peer) },
  { label: 'new', tree: root }
]
for (const entry of trees) entry.bundle = await bundleFor(entry.tree, entry.label)
const runs = []
for (let round = 0; round < rounds; round++) {
  for (const { label, tree, bundle } of trees) {
    const loadBefore = loadavg()[0]
    const stdout = execFileSync(process.execPath, [bundle, ...args], {
      cwd: tree,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
    })
    const result = JSON.parse(stdout.trim().split('\n').pop())
    runs.push({ label, round, loadBefore, ...result })
    for (const r of result.results) {
      const line = [
        `${label} r${round} ${result.backend} ${r.model.padEnd(11)}`,
        `predict1 ${r.oneWindow.medianMs.toFixed(2)} ms (p10 ${r.oneWindow.p10Ms.toFixed(2)}, ${r.oneWindow.runs} runs, ${r.oneWindow.kernels} kernels)`,
        `predict64 ${r.batch64.medianMs.toFixed(1)} ms`,
        r.training
          ? `train ${r.training.windowsPerSecond.toFixed(0)} win/s (${r.training.steps} steps)`
          : 'train -',
        `kernels/step ${r.kernelsPerStep ?? '-'}`,
        `load ${loadBefore.toFixed(2)}->${r.load.toFixed(2)}`
      ]
      process.stdout.write(`${line.join(' | ')}\n`)
    }
  }
}
for (const { bundle } of trees) rmSync(bundle, { force: true })
if (values.json) {
  mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true })
  writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`)
}
