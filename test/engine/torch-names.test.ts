import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, test } from 'vitest'
import { buildModel, parseModelConfig, type PaperModelConfig } from '../../src-main/engine/model'
import {
  exportPaperWeights,
  importPaperWeights,
  paperTorchPlacements,
  type NamedTensor
} from '../../src-main/engine/torch'

const config = parseModelConfig({ kind: 'paper' }) as PaperModelConfig
let stateDict: Map<string, NamedTensor>

beforeAll(async () => {
  await tf.setBackend('wasm')
  const model = buildModel(config, { seed: 4 })
  stateDict = exportPaperWeights(model, config)
  model.dispose()
})

function importInto(tensors: Map<string, NamedTensor>): { model: tf.LayersModel; read: number } {
  const model = buildModel(config, { seed: 99 })
  const read = importPaperWeights(model, config, tensors, 'w.safetensors')
  return { model, read }
}

function without(...names: string[]): Map<string, NamedTensor> {
  const copy = new Map(stateDict)
  for (const name of names) copy.delete(name)
  return copy
}

describe('published state_dict names', () => {
  test('cover the published keys with their PyTorch shapes', () => {
    // 5 branches x (3 blocks x (conv1, conv2, net.0, net.4: weight + bias; ca.fc.0, ca.fc.2, sa.conv1) + downsample w, b)
    // + fc1, fc2, fc3 (weight, bias) + GRU 2 layers x 2 directions x 4
    expect(stateDict.size).toBe(5 * (3 * (8 + 3) + 2) + 6 + 16)
    expect(stateDict.get('frontends.0.tcn.network.0.conv1.weight')?.shape).toEqual([25, 1, 2])
    expect(stateDict.get('frontends.4.tcn.network.2.net.4.weight')?.shape).toEqual([25, 25, 2])
    expect(stateDict.get('frontends.3.tcn.network.0.downsample.weight')?.shape).toEqual([25, 1, 1])
    expect(stateDict.get('frontends.1.tcn.network.1.ca.fc.0.weight')?.shape).toEqual([1, 25, 1])
    expect(stateDict.get('frontends.1.tcn.network.1.ca.fc.2.weight')?.shape).toEqual([25, 1, 1])
    expect(stateDict.get('frontends.2.tcn.network.2.sa.conv1.weight')?.shape).toEqual([1, 2, 7])
    expect(stateDict.get('fc1.weight')?.shape).toEqual([128, 125])
    expect(stateDict.get('fc2.weight')?.shape).toEqual([125, 128])
    expect(stateDict.get('gru.weight_ih_l0')?.shape).toEqual([192, 125])
    expect(stateDict.get('gru.weight_ih_l1_reverse')?.shape).toEqual([192, 128])
    expect(stateDict.get('gru.bias_hh_l1')?.shape).toEqual([192])
    expect(stateDict.get('fc3.weight')?.shape).toEqual([2, 128])
    const parameters = paperTorchPlacements(config).reduce(
      (total, p) => total + p.shape.reduce((a, b) => a * b, 1),
      0
    )
    expect(parameters).toBe(213_811)
  })

  test('import then export gives back the same tensors', () => {
    const { model, read } = importInto(stateDict)
    expect(read).toBe(stateDict.size)
    const back = exportPaperWeights(model, config)
    for (const [name, tensor] of stateDict) expect(back.get(name)?.data, name).toEqual(tensor.data)
    model.dispose()
  })

  test('either name of the conv tensors is enough', () => {
    const prefixes = [0, 1, 2, 3, 4].flatMap((branch) =>
      [0, 1, 2].map((block) => `frontends.${branch}.tcn.network.${block}`)
    )
    const names = (part: string) =>
      prefixes.flatMap((prefix) => [`${prefix}.${part}.weight`, `${prefix}.${part}.bias`])
    const onlyNet = without(...names('conv1'), ...names('conv2'))
    const onlyConv = without(...names('net.0'), ...names('net.4'))
    const x = tf.tensor(
      Array.from({ length: 2 * 20 * 5 }, (_, i) => Math.sin(i)),
      [2, 20, 5]
    )
    const a = importInto(onlyNet)
    const b = importInto(onlyConv)
    expect(Array.from((a.model.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((b.model.predict(x) as tf.Tensor).dataSync())
    )
    a.model.dispose()
    b.model.dispose()
  })

  test('a missing key is an error naming it', () => {
    expect(() => importInto(without('gru.bias_hh_l1_reverse'))).toThrow(
      /w.safetensors: missing tensor gru.bias_hh_l1_reverse/
    )
    expect(() =>
      importInto(without('frontends.2.tcn.network.1.conv1.weight', 'frontends.2.tcn.network.1.net.0.weight'))
    ).toThrow(/missing tensor frontends.2.tcn.network.1.conv1.weight/)
  })

  test('an unexpected key is an error naming it', () => {
    const extra = new Map(stateDict)
    extra.set('frontends.0.tcn.network.0.bn.running_mean', { shape: [25], data: new Float32Array(25) })
    expect(() => importInto(extra)).toThrow(/unexpected tensor frontends.0.tcn.network.0.bn.running_mean/)
  })

  test('a wrong shape is an error naming the key and both shapes', () => {
    const wrong = new Map(stateDict)
    wrong.set('fc1.weight', { shape: [125, 128], data: stateDict.get('fc1.weight')!.data })
    expect(() => importInto(wrong)).toThrow(
      /tensor fc1.weight has shape \[125,128\], the paper model expects \[128,125\]/
    )
  })

  test('two names of one tensor that disagree are an error', () => {
    const conflicting = new Map(stateDict)
    const original = stateDict.get('frontends.0.tcn.network.0.net.0.bias')!
    conflicting.set('frontends.0.tcn.network.0.net.0.bias', {
      shape: original.shape,
      data: original.data.map((v) => v + 1)
    })
    expect(() => importInto(conflicting)).toThrow(
      /conv1.bias and frontends.0.tcn.network.0.net.0.bias name the same weight but differ/
    )
  })
})
