import { promises as fs } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { useBackend } from '../../src-main/engine/runtime/backend'
import { ensembleProbabilities } from '../../src-main/engine/evaluation/fold-runner'
import { exportOnnx } from '../../src-main/engine/onnx/export-onnx'
import type { ModelConfigInput } from '../../src-main/engine/model'
import { backendsPresent } from './backends-present'
import { createPlantedStudy, type PlantedStudy } from './planted-study'
import {
  loadOrt,
  maxDifference,
  predictPrepared,
  rawFeeds,
  rows,
  savedModel,
  studyWindows
} from './onnx-support'

// An exported ONNX file, run by ONNX Runtime on raw per-stream windows, must give the app's model.predict on
// the same windows prepared by the training code (resampled, magnitude, normalized).
const { ort, reason } = await loadOrt()
if (!ort) console.log(`[onnx export] skipped: ${reason}`)
const { names } = await backendsPresent({ suite: 'onnx export', includeCpu: true })

describe.skipIf(!ort)('ONNX export run by ONNX Runtime', () => {
  let planted: PlantedStudy
  beforeAll(async () => {
    await useBackend(names.includes('tensorflow') ? 'tensorflow' : (names[0] ?? 'cpu'))
    planted = createPlantedStudy({ participants: ['1', '2', '3'], windowsPerParticipant: 6, seed: 3 })
  })
  afterAll(() => planted?.close())

  async function run(
    file: string,
    raw: Float32Array[][],
    streams: { name: string; samples: number; channels: number }[]
  ) {
    const session = await ort!.InferenceSession.create(file, { logSeverityLevel: 3 })
    const out = await session.run(rawFeeds(ort!, raw, streams))
    const classes = out.probabilities.dims[1] as number
    return {
      probabilities: rows(out.probabilities.data as Float32Array, classes),
      logits: rows(out.logits.data as Float32Array, classes),
      session
    }
  }

  test.each<[string, ModelConfigInput]>([
    ['paper', { kind: 'paper' }],
    ['native-rate', { kind: 'native-rate' }],
    ['paper, 3 classes', { kind: 'paper', classes: 3 }],
    [
      'native-rate with heart rate and in-block attention, 3 classes, 2 GRU layers',
      {
        kind: 'native-rate',
        sensors: [
          { name: 'bvp', rateHz: 64, channels: 1 },
          { name: 'eda', rateHz: 4, channels: 1 },
          { name: 'acc', rateHz: 32, channels: 3 },
          { name: 'hr', rateHz: 1, channels: 1 }
        ],
        attention: 'in-block',
        gruLayers: 2,
        classes: 3
      }
    ]
  ])('%s: float32 equals model.predict within 1e-5, float16 within 1e-2', async (_, config) => {
    const { directory, model, manifest } = await savedModel(planted.study, config, 5)
    const { set, prepared, raw, streams } = studyWindows(planted.study, manifest)
    expect(set.windows.length).toBeGreaterThan(10)
    const expected = predictPrepared(model, prepared, set)
    const file = path.join(path.dirname(directory), 'model.onnx')
    const result = await exportOnnx([directory], file, { dtype: 'float32', appVersion: 'test' })
    expect(result.streams.map((stream) => stream.name)).toEqual(streams.map((stream) => stream.name))
    const { probabilities, session } = await run(file, raw, streams)
    expect(session.inputNames).toEqual(streams.map((stream) => stream.name))
    expect(probabilities).toHaveLength(expected.length)
    expect(maxDifference(probabilities, expected)).toBeLessThan(1e-5)
    // The windows differ: a graph that ignored its inputs would not pass.
    expect(
      maxDifference(
        probabilities,
        probabilities.map(() => probabilities[0])
      )
    ).toBeGreaterThan(1e-3)
    // Batch size is open: one window alone gives the same row.
    const single = await run(file, raw.slice(2, 3), streams)
    expect(maxDifference(single.probabilities, [expected[2]])).toBeLessThan(1e-5)

    const half = path.join(path.dirname(directory), 'model-f16.onnx')
    const halfResult = await exportOnnx([directory], half, { dtype: 'float16', appVersion: 'test' })
    expect(halfResult.bytes).toBeLessThan(0.75 * result.bytes)
    const halfRun = await run(half, raw, streams)
    expect(maxDifference(halfRun.probabilities, expected)).toBeLessThan(1e-2)

    const quantized = path.join(path.dirname(directory), 'model-u8.onnx')
    const quantizedResult = await exportOnnx([directory], quantized, { dtype: 'uint8', appVersion: 'test' })
    expect(quantizedResult.bytes).toBeLessThan(0.75 * result.bytes)
    expect(quantizedResult.maxWeightError).toBeGreaterThan(0)
    expect((await fs.readFile(quantized)).toString('latin1')).toContain('DequantizeLinear')
    const quantizedRun = await run(quantized, raw, streams)
    const change = maxDifference(quantizedRun.probabilities, expected)
    console.log(
      `[onnx export] ${_}: bytes float32 ${result.bytes}, float16 ${halfResult.bytes}, uint8 ${quantizedResult.bytes}; largest probability change float16 ${maxDifference(halfRun.probabilities, expected).toExponential(2)}, uint8 ${change.toExponential(2)}`
    )
    expect(change).toBeGreaterThan(0)
    expect(change).toBeLessThan(0.1)
    model.dispose()
  })

  test('a 2-member ensemble averages the members logits inside the graph', async () => {
    const members = await Promise.all(
      [5, 6].map((seed) => savedModel(planted.study, { kind: 'paper' }, seed))
    )
    const { set, prepared, raw, streams } = studyWindows(planted.study, members[0].manifest)
    // Both members were fitted on the same windows: the same statistics.
    const expected = ensembleProbabilities(
      members.map((member) => member.model),
      prepared,
      set.inputs
    )
    const file = path.join(path.dirname(members[0].directory), 'ensemble.onnx')
    const result = await exportOnnx(
      members.map((member) => member.directory),
      file,
      { dtype: 'float32', appVersion: 'test' }
    )
    expect(result.members).toBe(2)
    const { probabilities } = await run(file, raw, streams)
    expect(maxDifference(probabilities, expected)).toBeLessThan(1e-5)
    const single = members.map((member) => predictPrepared(member.model, prepared, set))
    expect(maxDifference(probabilities, single[0])).toBeGreaterThan(1e-3)
    for (const member of members) member.model.dispose()
  })

  test('the file carries its metadata and a dynamic batch', async () => {
    const { directory, model } = await savedModel(planted.study, { kind: 'paper' }, 7)
    model.dispose()
    const file = path.join(path.dirname(directory), 'meta.onnx')
    await exportOnnx([directory], file, { dtype: 'float32', appVersion: '9.9.9' })
    const session = await ort!.InferenceSession.create(file)
    expect(session.outputNames).toEqual(['logits', 'probabilities'])
    const bytes = await fs.readFile(file)
    const text = bytes.toString('latin1')
    for (const key of ['emoheal.preset', 'emoheal.inputs', 'emoheal.label_definition', 'emoheal.metrics'])
      expect(text).toContain(key)
    expect(text).toContain('9.9.9')
  })
})

afterAll(() => tf.disposeVariables())
