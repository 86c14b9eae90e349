import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  closeSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { listBackends, useBackend } from '../../src-main/engine/runtime/backend'
import { ValidationError } from '../../src-main/errors'

// Its own test file, so its own process: once the real libtensorflow is loaded, the dynamic loader would
// satisfy the broken copy's library names with it.
const realPackage = join(__dirname, '../../node_modules/@tensorflow/tfjs-node')
const realBinding = join(realPackage, 'lib/napi-v8/tfjs_binding.node')
const hasBinding = existsSync(realBinding)
if (!hasBinding) console.log(`skipping the broken-library case: no binding at ${realBinding} to copy`)

const scratch = mkdtempSync(join(tmpdir(), 'emoheal-backend-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A copy of tfjs-node whose libtensorflow is cut short, as an interrupted copy would leave it. */
function brokenPackage(): string {
  const folder = join(scratch, 'tfjs-node')
  mkdirSync(join(folder, 'lib/napi-v8'), { recursive: true })
  mkdirSync(join(folder, 'deps/lib'), { recursive: true })
  copyFileSync(join(realPackage, 'package.json'), join(folder, 'package.json'))
  copyFileSync(realBinding, join(folder, 'lib/napi-v8/tfjs_binding.node'))
  for (const library of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const head = Buffer.alloc(4096)
    const source = openSync(join(realPackage, 'deps/lib', library), 'r')
    readSync(source, head, 0, head.length, 0)
    closeSync(source)
    writeFileSync(join(folder, 'deps/lib', library), head)
  }
  return folder
}

describe('engine backends with a missing or broken native TensorFlow', () => {
  const nowhere = join(scratch, 'absent')

  it.runIf(hasBinding)(
    'lists a truncated library as unavailable with the loader message, and falls back',
    async () => {
      const packageFolders = { 'tensorflow-gpu': nowhere, tensorflow: brokenPackage() }
      const statuses = await listBackends({ packageFolders })
      const native = statuses.find((status) => status.name === 'tensorflow')!
      expect(native.available).toBe(false)
      expect(native.reason).toMatch(/does not load: .*libtensorflow/)
      expect(statuses.find((status) => status.name === 'tensorflow-gpu')?.reason).toMatch(/not installed/)
      expect(statuses.find((status) => status.name === 'wasm')?.available).toBe(true)

      await expect(useBackend('tensorflow', { packageFolders })).rejects.toThrow(ValidationError)
      await expect(useBackend('tensorflow', { packageFolders })).rejects.toThrow(
        /backend "tensorflow" is not available: .*does not load/
      )
      const fallback = await useBackend('auto', { packageFolders })
      expect(fallback.name).toBe('wasm')
      expect(fallback.why).toMatch(/skipped .*tensorflow: .*does not load/)
    }
  )

  it('reports a package that is not there as not installed', async () => {
    // The loads above are cached per process, so this case only holds where they did not run.
    if (hasBinding) return
    const statuses = await listBackends({
      packageFolders: { 'tensorflow-gpu': nowhere, tensorflow: nowhere }
    })
    expect(statuses.find((status) => status.name === 'tensorflow')?.reason).toMatch(/not installed/)
    await expect(useBackend('tensorflow')).rejects.toThrow(ValidationError)
  })
})
