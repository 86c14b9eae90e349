/**
 * Forward+backward time of one custom layer alone at the native-rate model's shapes, for profiling.
 * LAYER=tcn|attention|pool|gru STEPS CHANNELS GROUPS DILATION (use `env GROUPS=2 ...`: GROUPS is a bash
 * variable); OP_TIMES=1 adds the native time per op. Usage: PROBE=probe-layer.ts node bench/probe-speed.mjs
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src-main/engine/runtime/backend'
import {
  ChannelSpatialAttention,
  PytorchGru,
  TcnResidualBlock,
  TemporalAveragePool
} from '../src-main/engine/layers'
import { timeNativeOps } from './op-timer'

async function main(): Promise<void> {
  await useBackend('tensorflow')
  const steps = Number(process.env.STEPS ?? 320)
  const channels = Number(process.env.CHANNELS ?? 16)
  const groups = Number(process.env.GROUPS ?? 1)
  const kind = process.env.LAYER ?? 'tcn'
  const dilation = Number(process.env.DILATION ?? 2)
  const layer =
    kind === 'tcn'
      ? new TcnResidualBlock({ groups, filters: 16, kernelSize: 3, dilation, dropout: 0.2, seed: 1 })
      : kind === 'attention'
        ? new ChannelSpatialAttention({ groups, reduction: 16, seed: 1 })
        : kind === 'pool'
          ? new TemporalAveragePool({ steps: 20 })
          : new PytorchGru({ units: 32, bidirectional: true, seed: 1 })
  const input = tf.variable(tf.randomNormal([32, steps, groups * channels]))
  layer.apply(input)
  const variables = [...layer.trainableWeights.map((weight) => weight.read() as tf.Variable), input]
  const step = () =>
    tf.tidy(() => {
      const loss = () => tf.sum(tf.square(layer.apply(input, { training: true }) as tf.Tensor)) as tf.Scalar
      tf.variableGrads(loss, variables).value.dataSync()
    })
  for (let i = 0; i < 5; i++) step()
  const info = await tf.profile(() => {
    step()
  })
  const runs = 30
  const timer = process.env.OP_TIMES ? timeNativeOps() : null
  const started = performance.now()
  for (let i = 0; i < runs; i++) step()
  const stepMs = (performance.now() - started) / runs
  timer?.report(runs)
  console.log(JSON.stringify({ kind, steps, channels, groups, kernels: info.kernels.length, stepMs }))
}

void main()
