import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { NotFoundError } from '../errors'

/**
 * The built worker entry: beside the bundle that runs (out/main), else the project's build output. Source
 * runs (tests) pass their own bundled copy.
 */
export function defaultWorkerPath(): string {
  const candidates = [
    // The entry's folder (out/main); shared code may sit a level down, in out/main/chunks.
    ...(require.main?.filename ? [join(dirname(require.main.filename), 'train-worker.js')] : []),
    ...(typeof __dirname === 'string'
      ? [join(__dirname, 'train-worker.js'), join(__dirname, '..', 'train-worker.js')]
      : []),
    resolve(process.cwd(), 'out/main/train-worker.js')
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found)
    throw new NotFoundError(
      `no training worker: none of ${candidates.join(', ')} exists; run "npm run build"`
    )
  return found
}
