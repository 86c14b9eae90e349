import path from 'node:path'
import { EmohealError, FileFormatError, ValidationError } from '../../errors'
import { writeFileAtomically } from '../../files/atomic-file'
import { loadModel } from '../registry/model-files'
import {
  buildOnnxGraph,
  onnxDtypes,
  type OnnxDtype,
  type OnnxExportMember,
  type RawStream
} from './model-graph'
import { encodeOnnxModel } from './onnx-proto'

export interface OnnxExportOptions {
  dtype: OnnxDtype
  participant?: string
  appVersion: string
}

export interface OnnxExportResult {
  file: string
  bytes: number
  dtype: OnnxDtype
  members: number
  preset: string
  streams: RawStream[]
  labels: string[]
  nodes: number
  /** uint8: the largest weight error of the quantization; 0 otherwise. */
  maxWeightError: number
}

/** Loads model directories; a directory tfjs cannot build a model from is named in a one-line error. */
export async function loadMembers(directories: string[]): Promise<OnnxExportMember[]> {
  const members: OnnxExportMember[] = []
  try {
    for (const directory of directories) {
      try {
        const { model, manifest } = await loadModel(directory)
        members.push({ model, manifest, source: path.resolve(directory) })
      } catch (error) {
        if (error instanceof EmohealError) throw error
        throw new FileFormatError(
          path.join(directory, 'model.json'),
          `not a model tfjs can build: ${(error as Error).message.split('\n')[0]}`
        )
      }
    }
    return members
  } catch (error) {
    for (const member of members) member.model.dispose()
    throw error
  }
}

/** The ONNX file's bytes for saved model directories (several: an ensemble). */
export async function onnxBytes(
  directories: string[],
  options: OnnxExportOptions
): Promise<{ bytes: Uint8Array; graph: ReturnType<typeof buildOnnxGraph>; members: OnnxExportMember[] }> {
  if (!onnxDtypes.includes(options.dtype))
    throw new ValidationError(
      `--dtype must be one of ${onnxDtypes.join(', ')}, got "${options.dtype}"`,
      'dtype'
    )
  const members = await loadMembers(directories)
  try {
    const graph = buildOnnxGraph(members, options)
    return { bytes: encodeOnnxModel(graph.model), graph, members }
  } finally {
    for (const member of members) member.model.dispose()
  }
}

/** Exports saved model directories as one ONNX file, written atomically. */
export async function exportOnnx(
  directories: string[],
  outFile: string,
  options: OnnxExportOptions
): Promise<OnnxExportResult> {
  if (directories.length === 0) throw new ValidationError('--model names no model directory', 'model')
  const { bytes, graph, members } = await onnxBytes(directories, options)
  await writeFileAtomically(outFile, bytes)
  return {
    file: path.resolve(outFile),
    bytes: bytes.length,
    dtype: options.dtype,
    members: members.length,
    preset: members[0].manifest.config.kind,
    streams: graph.streams,
    labels: members[0].manifest.labels,
    nodes: graph.model.nodes.length,
    maxWeightError: graph.maxWeightError
  }
}
