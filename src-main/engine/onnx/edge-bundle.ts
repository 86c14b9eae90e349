import path from 'node:path'
import { ValidationError } from '../../errors'
import { writeDirectoryAtomically } from '../../files/atomic-directory'
import type { StudyStore } from '../../store/study-store'
import { windowOptionsOf } from '../inference/session-inference'
import type { ModelManifest } from '../registry/model-files'
import { Random } from '../training/random'
import { extractWindows, sessionWindowsAt } from '../windows/extract'
import type { NormalizationStats } from '../windows/normalize'
import { pythonExample } from './edge-example'
import { onnxBytes } from './export-onnx'
import { onnxDtypes, type OnnxDtype, type RawStream } from './model-graph'
import { loadOnnxFile } from './onnx-predictor'
import { promises as fs } from 'node:fs'
import os from 'node:os'

/**
 * An edge bundle: what a lab hands an embedded engineer. The model as ONNX in float32, float16 and uint8 (raw
 * sensor windows in, probabilities out), a model card (training data, evaluation beside the baselines, inputs
 * with units and rates, what the smaller files change, intended use and limits), and predict.py, which needs
 * only ONNX Runtime and prints one probability per window of an E4 Connect folder or an exported CSV folder.
 */

export const bundleFiles = {
  float32: 'model.onnx',
  float16: 'model-float16.onnx',
  uint8: 'model-uint8.onnx',
  card: 'MODEL_CARD.md',
  example: 'predict.py',
  readme: 'README.md'
} as const

export interface BundleVariant {
  dtype: OnnxDtype
  file: string
  bytes: number
  /** Against float32 on the evaluation windows. */
  maxProbabilityChange: number
  agreement: number
  accuracy: number | null
}

export interface EdgeBundleResult {
  directory: string
  members: number
  preset: string
  streams: RawStream[]
  labels: string[]
  evaluation: { on: 'study' | 'random'; description: string; windows: number }
  variants: BundleVariant[]
  files: string[]
}

interface EvaluationWindows {
  raw: Float32Array[][]
  labels: number[] | null
  on: 'study' | 'random'
  description: string
}

/** The study's labelled windows raw per stream (the native cut of the same streams), or random raw windows. */
function evaluationWindows(
  manifest: ModelManifest,
  streams: RawStream[],
  study?: StudyStore
): EvaluationWindows {
  if (study) {
    const options = windowOptionsOf(manifest)
    const set = extractWindows(study, options)
    const sensors = streams.map((stream) => ({
      name: stream.name,
      rateHz: stream.rateHz,
      channels: stream.channels
    }))
    const raw: Float32Array[][] = []
    const labels: number[] = []
    for (const window of set.windows) {
      const [cut] = sessionWindowsAt(study, window.sessionId, [window.endMs], {
        ...set,
        points: 20,
        preset: 'native',
        sensors
      })
      if (typeof cut.inputs === 'string') continue
      raw.push(cut.inputs)
      labels.push(window.label)
    }
    if (raw.length === 0)
      throw new ValidationError(`the study has no usable ${set.target} windows for this model`, 'study')
    return {
      raw,
      labels,
      on: 'study',
      description: `${raw.length} ${set.target} windows of the study (${set.labelSource} labels, above ${set.threshold} = high)`
    }
  }
  // Around the training statistics where the model has them, so that the windows look like its inputs.
  const stats = manifest.normalization as unknown as NormalizationStats | null
  const random = new Random(1)
  const count = 256
  const raw = Array.from({ length: count }, () =>
    streams.map((stream, s) => {
      const pooled = manifest.config.kind === 'native-rate' ? stats?.pooled[s] : undefined
      return Float32Array.from({ length: stream.samples * stream.channels }, (_, i) => {
        const c = i % stream.channels
        return (pooled?.mean[c] ?? 0) + (pooled?.std[c] ?? 1) * random.normal()
      })
    })
  )
  return { raw, labels: null, on: 'random', description: `${count} random raw windows, seed 1` }
}

const argMax = (row: number[]) => row.indexOf(Math.max(...row))

/** A metric as the trainer stores it: a number, or {mean, sd} over folds. */
function meanOf(value: unknown): number | null {
  if (typeof value === 'number') return value
  const mean = (value as { mean?: unknown } | null)?.mean
  return typeof mean === 'number' ? mean : null
}

function percent(value: unknown): string {
  const mean = meanOf(value)
  return mean === null ? '-' : `${(100 * mean).toFixed(1)}%`
}

function modelCard(
  manifest: ModelManifest,
  members: number,
  streams: RawStream[],
  metadata: Record<string, string>,
  evaluation: EvaluationWindows,
  variants: BundleVariant[]
): string {
  const metrics = (manifest.metrics ?? {}) as Record<string, unknown>
  const label = JSON.parse(metadata['emoheal.label_definition'] ?? '{}') as Record<string, unknown>
  const finalModel = (metrics.finalModel ?? {}) as Record<string, unknown>
  const protocol = (metrics.protocol ?? null) as unknown
  const lines = [
    `# EmoHeal ${manifest.config.kind} model${members > 1 ? ` (ensemble of ${members}, logits averaged)` : ''}`,
    '',
    `Exported by EmoHeal Workstation ${metadata['emoheal.app_version']} as ONNX (opset 17, standard operators only).`,
    '',
    '## What it predicts',
    `Classes ${manifest.labels.map((name, i) => `${i} = ${name}`).join(', ')}: the ${String(label.target ?? 'arousal')} rating ` +
      `from ${String(label.labelSource ?? 'external')} raters, class 1 where the rating is above ${String(label.threshold ?? 2)}.`,
    '',
    '## What it was trained on',
    `- Source: ${manifest.source ?? 'unknown'}; training data hash: ${manifest.trainingDataHash ?? 'none recorded (imported weights)'}`,
    `- Windows in the final model's training: ${String(finalModel.trainedOn ?? 'not recorded')}`,
    `- Parameters: ${manifest.parameterCount.toLocaleString('en')}${members > 1 ? ' per member' : ''}`,
    `- Normalization: ${metadata['emoheal.normalization']}`,
    '',
    '## How it was evaluated',
    metrics.accuracy !== undefined
      ? `- Protocol: ${typeof protocol === 'string' ? protocol : JSON.stringify(protocol)}\n` +
        `- Mean accuracy ${percent(metrics.accuracy)}, weighted F1 ${meanOf(metrics.weightedF1)?.toFixed(3) ?? '-'}; ` +
        `majority-class baseline ${percent(metrics.majorityAccuracy)} on the same folds`
      : '- No evaluation is recorded with this model (imported weights): evaluate it on your own data before use.',
    '',
    '## Inputs (one per stream, float32, [batch, samples, channels])',
    '| input | rate | samples per window | channels | units |',
    '| --- | --- | --- | --- | --- |',
    ...streams.map((s) => `| ${s.name} | ${s.rateHz} Hz | ${s.samples} | ${s.channels} | ${s.units} |`),
    '',
    `Window: ${metadata['emoheal.window_seconds']} s. Samples start at the window's start, at the stream's rate ` +
      '(a stream with jitter is interpolated onto that grid first, as predict.py does). The graph does the rest: ' +
      (manifest.config.kind === 'paper'
        ? `the acceleration magnitude, the linear resampling of every stream to the model's points${manifest.normalization ? ', the normalization' : ''}.`
        : manifest.normalization
          ? 'the normalization.'
          : 'nothing: the model takes the values as they are.'),
    'Outputs: `logits` and `probabilities`, [batch, classes]. The batch size is free.',
    '',
    '## Files',
    '| file | bytes | largest probability change vs float32 | same class as float32 | accuracy |',
    '| --- | --- | --- | --- | --- |',
    ...variants.map(
      (v) =>
        `| ${v.file} | ${v.bytes.toLocaleString('en')} | ${v.maxProbabilityChange.toExponential(2)} | ${percent(v.agreement)} | ${percent(v.accuracy)} |`
    ),
    '',
    `Measured on ${evaluation.description}. float16 holds weights and activations in half precision (the ` +
      'preprocessing stays float32); uint8 holds weights quantized per output channel, dequantized in the graph ' +
      '(with the session option session.disable_quant_qdq = 1, which predict.py sets, ONNX Runtime dequantizes ' +
      'them once at load and runs the file as fast as float32).',
    '',
    '## Intended use and limits',
    '- Research on emotion recognition from wrist sensors; not a medical device, not for decisions about a person.',
    '- Trained on the participants, sensors and protocol above: other devices, placements, populations or tasks ' +
      'need their own evaluation. Subject-independent accuracy of such models is modest; check it beside the baselines.',
    '- Inputs in other units or rates than the table silently give wrong probabilities: the graph cannot tell.',
    ''
  ]
  return lines.join('\n')
}

function readme(streams: RawStream[]): string {
  return [
    '# EmoHeal edge bundle',
    '',
    `- \`${bundleFiles.float32}\`, \`${bundleFiles.float16}\`, \`${bundleFiles.uint8}\`: the model for ONNX Runtime (any build; opset 17).`,
    `- \`${bundleFiles.card}\`: what it was trained on, how it was evaluated, its inputs, its limits.`,
    `- \`${bundleFiles.example}\`: needs only ONNX Runtime:`,
    '',
    '```',
    'pip install onnxruntime',
    `python ${bundleFiles.example} ${bundleFiles.float32} /path/to/e4-session-folder`,
    '```',
    '',
    'It reads an Empatica E4 Connect session folder, or a folder of CSVs as `emoheal export csv` writes them, and',
    'prints one line per window: its end time (UNIX seconds) and the probability of the last class.',
    '',
    `Inputs: ${streams.map((s) => `${s.name} (${s.rateHz} Hz, ${s.channels} channel${s.channels > 1 ? 's' : ''})`).join(', ')}.`,
    ''
  ].join('\n')
}

/** Writes the bundle atomically; with a study, the smaller files are evaluated on its labelled windows. */
export async function exportEdgeBundle(
  directories: string[],
  out: string,
  options: { appVersion: string; participant?: string; study?: StudyStore }
): Promise<EdgeBundleResult> {
  if (directories.some((directory) => path.resolve(directory) === path.resolve(out)))
    throw new ValidationError('--out must differ from --model', 'out')
  const files: Record<string, Uint8Array | string> = {}
  let built: Awaited<ReturnType<typeof onnxBytes>> | null = null
  for (const dtype of onnxDtypes) {
    const result = await onnxBytes(directories, {
      dtype,
      appVersion: options.appVersion,
      participant: options.participant
    })
    files[bundleFiles[dtype]] = result.bytes
    if (dtype === 'float32') built = result
  }
  const { graph, members } = built!
  const manifest = members[0].manifest
  const evaluation = evaluationWindows(manifest, graph.streams, options.study)
  // ONNX Runtime runs each file as the device will, from a scratch copy.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'emoheal-bundle-'))
  const probabilities: Record<string, number[][]> = {}
  try {
    for (const dtype of onnxDtypes) {
      const file = path.join(scratch, bundleFiles[dtype])
      await fs.writeFile(file, files[bundleFiles[dtype]])
      const model = await loadOnnxFile(file)
      try {
        probabilities[dtype] = await model.predict(evaluation.raw)
      } finally {
        await model.release()
      }
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true })
  }
  const reference = probabilities.float32
  const variants = onnxDtypes.map((dtype): BundleVariant => {
    const rows = probabilities[dtype]
    let change = 0
    let agreeing = 0
    let hits = 0
    rows.forEach((row, i) => {
      row.forEach((value, c) => (change = Math.max(change, Math.abs(value - reference[i][c]))))
      if (argMax(row) === argMax(reference[i])) agreeing++
      if (evaluation.labels && argMax(row) === evaluation.labels[i]) hits++
    })
    return {
      dtype,
      file: bundleFiles[dtype],
      bytes: (files[bundleFiles[dtype]] as Uint8Array).length,
      maxProbabilityChange: change,
      agreement: agreeing / rows.length,
      accuracy: evaluation.labels ? hits / rows.length : null
    }
  })
  files[bundleFiles.card] = modelCard(
    manifest,
    members.length,
    graph.streams,
    graph.model.metadata,
    evaluation,
    variants
  )
  files[bundleFiles.example] = pythonExample
  files[bundleFiles.readme] = readme(graph.streams)
  await writeDirectoryAtomically(out, files)
  return {
    directory: path.resolve(out),
    members: members.length,
    preset: manifest.config.kind,
    streams: graph.streams,
    labels: manifest.labels,
    evaluation: { on: evaluation.on, description: evaluation.description, windows: evaluation.raw.length },
    variants,
    files: Object.keys(files)
  }
}
