import * as tf from '@tensorflow/tfjs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { listBackends, threadsPerJob, useBackend } from '../../src-main/engine/runtime/backend'
import { ValidationError } from '../../src-main/errors'
import { pseudoRandom } from './pseudo-random'

const nativeBinding = join(
  __dirname,
  '../../node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'
)
const hasNative = existsSync(nativeBinding)
if (!hasNative)
  console.log(`skipping the tensorflow checks: no binding at ${nativeBinding} (run "npm run setup:native")`)

/** Deterministic numbers in [-0.5, 0.5) without Math.random, so a failure can be reproduced. */
function numbers(count: number, seed: number): number[] {
  return pseudoRandom(seed, count).map((value) => value / 2)
}

const batch = 2
const steps = 9
const channels = 3
const kernelWidth = 3
const filters = 4
const outputs = 5
const input = numbers(batch * steps * channels, 1)
const kernel = numbers(kernelWidth * channels * filters, 2)
const dense = numbers(filters * outputs, 3)

/** conv1d (valid padding, stride 1) then matMul of the last time step, in plain loops. */
function referenceResult(): number[] {
  const result: number[] = []
  const last = steps - kernelWidth
  for (let b = 0; b < batch; b++) {
    const features: number[] = []
    for (let f = 0; f < filters; f++) {
      let sum = 0
      for (let k = 0; k < kernelWidth; k++) {
        for (let c = 0; c < channels; c++) {
          sum += input[(b * steps + last + k) * channels + c] * kernel[(k * channels + c) * filters + f]
        }
      }
      features.push(sum)
    }
    for (let o = 0; o < outputs; o++) {
      result.push(features.reduce((sum, value, f) => sum + value * dense[f * outputs + o], 0))
    }
  }
  return result
}

function tfResult(): number[] {
  return tf.tidy(() => {
    const x = tf.tensor3d(input, [batch, steps, channels])
    const w = tf.tensor3d(kernel, [kernelWidth, channels, filters])
    const convolved = tf.conv1d(x, w, 1, 'valid')
    const lastStep = convolved
      .slice([0, steps - kernelWidth, 0], [batch, 1, filters])
      .reshape([batch, filters])
    return Array.from(tf.matMul(lastStep, tf.tensor2d(dense, [filters, outputs])).dataSync())
  })
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length)
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])))
  expect(worst).toBeLessThan(tolerance)
}

describe('engine backends', () => {
  it('lists wasm and cpu as available, and tensorflow where its binding was built', async () => {
    const statuses = await listBackends()
    const byName = new Map(statuses.map((status) => [status.name, status]))
    expect([...byName.keys()]).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
    expect(byName.get('wasm')?.available).toBe(true)
    expect(byName.get('cpu')?.available).toBe(true)
    const native = byName.get('tensorflow')!
    if (hasNative) {
      expect(native.available, native.reason).toBe(true)
      expect(native.tensorflow).toMatch(/^\d+\.\d+\.\d+/)
      expect(native.devices).toContain('/device:CPU:0')
      expect(typeof native.graphFunctions).toBe('boolean')
    } else {
      expect(native.available).toBe(false)
      expect(native.reason).toBeTruthy()
    }
  })

  it("patches tfjs-node's binding sources for graph functions, once, and names a file it cannot patch", async () => {
    const script = pathToFileURL(join(process.cwd(), 'scripts/native/function-patch.mjs')).href
    const { patchBindingSources } = (await import(script)) as {
      patchBindingSources: (folder: string) => Promise<void>
    }
    const folder = await mkdtemp(join(tmpdir(), 'emoheal-binding-'))
    try {
      await cp(join(process.cwd(), 'node_modules/@tensorflow/tfjs-node/binding'), folder, { recursive: true })
      await patchBindingSources(folder)
      const source = await readFile(join(folder, 'tfjs_binding.cc'), 'utf8')
      expect(source).toContain('TFE_ContextAddFunctionDef')
      expect(source).toContain('{"emohealRegisterFunction", nullptr, EmohealRegisterFunction')
      expect(await readFile(join(folder, 'tfjs_backend.h'), 'utf8')).toContain('EmohealContext()')
      await patchBindingSources(folder)
      expect(
        (await readFile(join(folder, 'tfjs_binding.cc'), 'utf8')).split('EmohealRegisterFunction(').length
      ).toBe(source.split('EmohealRegisterFunction(').length)
      const original = await readFile(
        join(process.cwd(), 'node_modules/@tensorflow/tfjs-node/binding/tfjs_binding.cc'),
        'utf8'
      )
      await writeFile(
        join(folder, 'tfjs_binding.cc'),
        original.replace('static napi_value IsUsingGPUDevice(', 'static napi_value Other(')
      )
      await expect(patchBindingSources(folder)).rejects.toThrow(
        /tfjs_binding\.cc: "static napi_value IsUsingGPUDevice\(" not found/
      )
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('switches on request, and the same request twice is the same choice', async () => {
    const first = await useBackend('wasm')
    expect(first.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(await useBackend('wasm')).toBe(first)
    expect((await useBackend('cpu')).name).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    await expect(useBackend('gpu' as never)).rejects.toThrow(ValidationError)
  })

  it('auto prefers native TensorFlow where it loads, else wasm', async () => {
    const choice = await useBackend('auto')
    expect(choice.name).toBe(hasNative ? 'tensorflow' : 'wasm')
    expect(tf.getBackend()).toBe(choice.name)
    expect(choice.why).toMatch(/^auto: /)
  })

  it('computes conv1d and matMul alike on wasm, tensorflow and in plain loops', async () => {
    const expected = referenceResult()
    await useBackend('wasm')
    const onWasm = tfResult()
    expectClose(onWasm, expected, 1e-5)
    if (!hasNative) return
    await useBackend('tensorflow')
    const onTensorFlow = tfResult()
    expectClose(onTensorFlow, onWasm, 1e-4)
    expectClose(onTensorFlow, expected, 1e-5)
  })

  it('gives each job one thread unless asked for more, and never oversubscribes the cores', () => {
    const before = process.env.EMOHEAL_TF_THREADS
    try {
      delete process.env.EMOHEAL_TF_THREADS
      expect(threadsPerJob(1, 2)).toBe(1)
      expect(threadsPerJob(2, 16)).toBe(1)
      process.env.EMOHEAL_TF_THREADS = '8'
      expect(threadsPerJob(1, 2)).toBe(2)
      expect(threadsPerJob(2, 2)).toBe(1)
      expect(threadsPerJob(4, 2)).toBe(1)
      expect(threadsPerJob(2, 16)).toBe(8)
      expect(threadsPerJob(1, 16)).toBe(8)
    } finally {
      if (before === undefined) delete process.env.EMOHEAL_TF_THREADS
      else process.env.EMOHEAL_TF_THREADS = before
    }
  })
})
