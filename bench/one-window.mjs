#!/usr/bin/env node
/**
 * `node bench/one-window.mjs [--peer DIR/plain-js-predictor.ts] [--calls N] [--backends wasm,cpu]`: builds
 * bench/one-window.ts (esbuild, packages external) and prints ms per window of the plain-JS predictor beside
 * model.predict and, with --peer, another version of the predictor (its own bundle, e.g. files taken from an
 * older commit into a folder outside the repository), interleaved call by call.
 */
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: { peer: { type: 'string' }, calls: { type: 'string' }, backends: { type: 'string' } },
  strict: true
})
// Inside node_modules so that the bundles resolve the project's packages as the app does.
const directory = path.join(root, 'node_modules', '.cache', 'emoheal-bench', `one-window-${process.pid}`)
mkdirSync(directory, { recursive: true })
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning'
}
const outfile = path.join(directory, 'one-window.cjs')
await build({ ...common, entryPoints: [path.join(root, 'bench', 'one-window.ts')], outfile })
const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
if (values.peer) {
  const peerFile = path.join(directory, 'peer.cjs')
  await build({
    ...common,
    entryPoints: [path.resolve(values.peer)],
    outfile: peerFile,
    nodePaths: [path.join(root, 'node_modules')]
  })
  env.EMOHEAL_PEER_PREDICTOR = peerFile
}
const args = [outfile]
if (values.calls) args.push('--calls', values.calls)
if (values.backends) args.push('--backends', values.backends)
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env })
rmSync(directory, { recursive: true, force: true })
process.exit(result.status ?? 1)
