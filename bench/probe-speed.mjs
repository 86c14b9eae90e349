// Bundles probe-speed.ts with esbuild (packages stay external) and runs it: no ts runner is installed.
import { bundleForNode } from './bundle.mjs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
// Inside the repo (ignored .cache/) so that the bundle resolves node_modules.
const outfile = path.join(here, '..', '.cache', 'probe', `probe-speed-${process.pid}.cjs`)
await bundleForNode({
  outfile,
  entryPoints: [path.join(here, process.env.PROBE ?? 'probe-speed.ts')],
  logLevel: 'error'
})
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: path.dirname(here)
})
process.exit(result.status ?? 1)
