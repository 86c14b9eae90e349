import { build } from 'esbuild'
import { join, resolve } from 'node:path'

const repoRoot = resolve(__dirname, '..', '..')

/**
 * A main-process entry (path from the repository root) bundled as the app's build bundles it: CommonJS for
 * node, externals left to node_modules. Tests use it for worker threads and separate processes without a full
 * electron-vite build.
 */
export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [join(repoRoot, entry)],
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

/**
 * The CLI bundled from the sources as the app's build bundles it (externals left to node_modules), for tests
 * that start emoheal as a separate process (plan tasks, Slurm array tasks) without a full electron-vite build.
 * Each caller names its own folder under out/, so parallel test files never write the same bundle.
 */
export async function bundledCli(name: string): Promise<string> {
  return bundleEntry('src-main/cli/index.ts', join(repoRoot, 'out', 'test-cli', name, 'cli.js'))
}
