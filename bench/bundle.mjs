import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'

/**
 * Bundles a bench's TypeScript (an entry file, or `stdin` with exports of the modules it needs) for node, as
 * the app's build bundles the main process: CommonJS, the project's packages left to node_modules, which the
 * bundle resolves from where it is written (inside the repository). No TypeScript runner is installed.
 * Further esbuild options (stdin, plugins, logLevel) go through. Resolves to `outfile`.
 */
export async function bundleForNode({ outfile, ...options }) {
  mkdirSync(path.dirname(outfile), { recursive: true })
  await build({
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    outfile,
    ...options
  })
  return outfile
}
