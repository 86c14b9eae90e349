import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { graphFunctionsAvailable } from '../../src-main/engine/executors/graph-ops'
import { FlatAdam } from '../../src-main/engine/training/flat-adam'
import { backendsPresent } from './backends-present'
import { pseudoRandom } from './pseudo-random'

// On native TensorFlow whose binding registers functions the update is one TensorFlow function; elsewhere
// a dozen tfjs kernels. Both must be PyTorch's Adam.
const { names: backends } = await backendsPresent({ suite: 'flat Adam' })

/** PyTorch's Adam with L2 weight decay, written out in doubles for one parameter vector. */
class ReferenceAdam {
  m: number[]
  v: number[]
  t = 0
  constructor(
    size: number,
    readonly lr: number,
    readonly weightDecay: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8
  ) {
    this.m = new Array<number>(size).fill(0)
    this.v = new Array<number>(size).fill(0)
  }
  step(w: number[], g: number[] | null): number[] {
    if (!g) return w
    this.t++
    return w.map((weight, i) => {
      const grad = g[i] + this.weightDecay * weight
      this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * grad
      this.v[i] = this.beta2 * this.v[i] + (1 - this.beta2) * grad * grad
      const mHat = this.m[i] / (1 - this.beta1 ** this.t)
      const vHat = this.v[i] / (1 - this.beta2 ** this.t)
      return weight - (this.lr * mHat) / (Math.sqrt(vHat) + this.eps)
    })
  }
}

describe.each(backends)('FlatAdam on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  test('is one graph function where the binding registers functions, tfjs kernels elsewhere', async () => {
    const variables = [tf.variable(tf.ones([3, 2]), true, 'k0'), tf.variable(tf.ones([4]), true, 'k1')]
    const optimizer = new FlatAdam(variables, { learningRate: 0.01, weightDecay: 0.1 })
    const gradients = { k0: tf.ones([3, 2]), k1: tf.ones([4]) }
    optimizer.step(gradients)
    const { kernels } = await tf.profile(() => optimizer.step(gradients))
    if (graphFunctionsAvailable()) expect(kernels.length).toBeLessThan(3)
    else expect(kernels.length).toBeGreaterThan(8)
    optimizer.dispose()
    tf.dispose([...variables, ...Object.values(gradients)])
  })

  test('matches PyTorch Adam with weight decay, step by step, on tensors of several shapes', () => {
    const shapes = [[3, 4], [5], [2, 2, 3]]
    const initial = shapes.map((shape, i) =>
      pseudoRandom(
        i + 1,
        shape.reduce((a, b) => a * b)
      )
    )
    const variables = shapes.map((shape, i) => tf.variable(tf.tensor(initial[i], shape), true, `w${i}`))
    const lr = 0.01
    const optimizer = new FlatAdam(variables, { learningRate: lr, weightDecay: 0.05 })
    const references = initial.map((values) => new ReferenceAdam(values.length, lr, 0.05))
    let expected = initial.map((values) => [...values])
    for (let step = 0; step < 6; step++) {
      // w1 never has a gradient (as recurrent kernels on a one-step sequence): it must never move, even with
      // weight decay (PyTorch skips a parameter whose grad is None).
      const gradients = shapes.map((shape, i) =>
        pseudoRandom(
          100 * step + i + 7,
          shape.reduce((a, b) => a * b)
        )
      )
      const given: Record<string, tf.Tensor> = {}
      variables.forEach((variable, i) => {
        if (i === 1) return
        given[variable.name] = tf.tensor(gradients[i], shapes[i])
      })
      optimizer.step(given)
      tf.dispose(Object.values(given))
      expected = expected.map((w, i) => references[i].step(w, i === 1 ? null : gradients[i]))
      variables.forEach((variable, i) => {
        const actual = Array.from(variable.dataSync())
        actual.forEach((value, j) => expect(value).toBeCloseTo(expected[i][j], 5))
      })
    }
    // The weights moved well beyond the tolerance, so the comparison above is not of unchanged values.
    expect(Math.abs(expected[0][0] - initial[0][0])).toBeGreaterThan(0.02)
    expect(Array.from(variables[1].dataSync())).toEqual(Array.from(Float32Array.from(initial[1])))
    optimizer.dispose()
    tf.dispose(variables)
  })

  test('follows weights set from outside between steps, and a changed learning rate', () => {
    const variable = tf.variable(tf.tensor1d([1, -2, 3]), true, 'outside')
    const optimizer = new FlatAdam([variable], { learningRate: 0.1 })
    const reference = new ReferenceAdam(3, 0.1, 0)
    const gradient = [0.5, -1, 2]
    optimizer.step({ outside: tf.tensor1d(gradient) })
    let expected = reference.step([1, -2, 3], gradient)
    variable.assign(tf.tensor1d([10, 20, 30]))
    optimizer.learningRate = 0.05
    ;(reference as { lr: number }).lr = 0.05
    optimizer.step({ outside: tf.tensor1d(gradient) })
    expected = reference.step([10, 20, 30], gradient)
    Array.from(variable.dataSync()).forEach((value, j) => expect(value).toBeCloseTo(expected[j], 5))
    optimizer.dispose()
    variable.dispose()
  })

  test('leaves no tensors behind per step', () => {
    const variable = tf.variable(tf.ones([4, 4]), true, 'leak')
    const optimizer = new FlatAdam([variable], { learningRate: 0.01, weightDecay: 0.1 })
    optimizer.step({ leak: tf.ones([4, 4]) })
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) {
      const gradient = tf.ones([4, 4])
      optimizer.step({ leak: gradient })
      gradient.dispose()
    }
    expect(tf.memory().numTensors).toBe(before)
    optimizer.dispose()
    variable.dispose()
  })
})
