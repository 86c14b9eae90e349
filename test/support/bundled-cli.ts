import { build } from 'esbuild'
import { join, resolve } from 'node:path'

const repoRoot = resolve(__dirname, '..', '..')

/**
 * The CLI bundled from the sources as the app's build bundles it (externals left to node_modules), for tests
 * that start emoheal as a separate process (plan tasks, Slurm array tasks) without a full electron-vite build.
 * Each caller names its own folder under out/, so parallel test files never write the same bundle.
 */
export async function bundledCli(name: string): Promise<string> {
  const outfile = join(repoRoot, 'out', 'test-cli', name, 'cli.js')
  await build({
    entryPoints: [join(repoRoot, 'src-main/cli/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'error'
  })
  return outfile
}
