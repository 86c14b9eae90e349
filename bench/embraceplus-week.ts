import { once } from 'node:events'
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync
} from 'node:fs'
import { dirname, join } from 'node:path'
import avro from 'avsc'
import { readContainerHeader } from '../src-main/datasets/embraceplus/avro-container'
import { sessionType } from '../src-main/datasets/embraceplus/schema'

/**
 * A week of continuous EmbracePlus wear in the bucket's layout: 48 files a day of 30 minutes (ACC and BVP at
 * 64 Hz, EDA 4 Hz, TEMP 1 Hz, steps 0.2 Hz, a systolic peak about every 0.8 s), each file overlapping the one
 * before by two samples as real ones do. The schema is the 6.4.1 one the fixture script wrote with fastavro;
 * the files are written by avsc's own container encoder (deflate).
 */
export const WEEK_FILES = 336
export const FILE_SECONDS = 1800
export const PARTICIPANT = 'BENCH'
const DEVICE = '3YKBENCH01'

function template(seconds: number) {
  const acc = 64 * seconds
  const x = new Array<number>(acc)
  const y = new Array<number>(acc)
  const z = new Array<number>(acc)
  const bvp = new Array<number>(acc)
  // Sensor noise, so that deflate has real work to do (real files are about 1 MB per 30 minutes).
  let seed = 12345
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff - 0.5
  }
  for (let i = 0; i < acc; i++) {
    x[i] = Math.round(200 * Math.sin(i / 50) + 40 * noise())
    y[i] = Math.round(-30 + 40 * noise())
    z[i] = Math.round(2048 + 40 * noise())
    bvp[i] = 50 * Math.sin((2 * Math.PI * 1.2 * i) / 64) + 5 * noise()
  }
  return {
    x,
    y,
    z,
    bvp,
    eda: Array.from({ length: 4 * seconds }, (_, i) => 0.5 + 0.2 * Math.sin(i / 400)),
    temp: Array.from({ length: seconds }, (_, i) => 33 + 0.5 * Math.sin(i / 600)),
    steps: Array.from({ length: seconds / 5 }, (_, i) => i % 4)
  }
}

function record(startUs: bigint, signals: ReturnType<typeof template>, peaksPerFile: number) {
  const imuParams = { physicalMin: -16, physicalMax: 16, digitalMin: -32768, digitalMax: 32768 }
  const empty = {
    timestampStart: 0n,
    samplingFrequency: 0,
    imuParams: { physicalMin: 0, physicalMax: 0, digitalMin: 0, digitalMax: 0 },
    x: [],
    y: [],
    z: []
  }
  const startNs = startUs * 1000n
  const peaks = Array.from(
    { length: peaksPerFile },
    (_, k) => startNs + 300_000_017n + BigInt(k) * 812_345_679n
  )
  return {
    schemaVersion: { major: 6, minor: 4, patch: 1 },
    fwVersion: { major: 4, minor: 41, patch: 4 },
    hwVersion: { major: 1, minor: 0, patch: 0 },
    algoVersion: { major: 2, minor: 1, patch: 0 },
    timezone: 3600,
    enrollment: { participantID: PARTICIPANT, siteID: '1', studyID: '1', organizationID: '1' },
    deviceSn: DEVICE,
    deviceModel: 'EMBRACEPLUS',
    rawData: {
      accelerometer: {
        timestampStart: startUs + 1_000_000n,
        samplingFrequency: Math.fround(64.0023),
        imuParams,
        x: signals.x,
        y: signals.y,
        z: signals.z
      },
      gyroscope: empty,
      eda: {
        timestampStart: startUs + 1_124_000n,
        samplingFrequency: Math.fround(4.0004),
        values: signals.eda
      },
      temperature: {
        timestampStart: startUs + 1_998_000n,
        samplingFrequency: Math.fround(0.99975),
        values: signals.temp
      },
      tags: { tagsTimeMicros: [] },
      bvp: { timestampStart: startUs, samplingFrequency: 64, values: signals.bvp },
      systolicPeaks: { peaksTimeNanos: peaks },
      steps: { timestampStart: startUs + 500_000n, samplingFrequency: 0.2, values: signals.steps }
    }
  }
}

/** Writes (or finds, when already written) the week under `root`; returns its participant_data folder. */
export async function writeEmbracePlusWeek(
  root: string,
  schemaFile: string,
  files = WEEK_FILES
): Promise<string> {
  const data = join(root, 'participant_data')
  const done = join(root, 'complete')
  if (existsSync(done)) return data
  rmSync(root, { recursive: true, force: true })
  const header = readContainerHeader(readFileSync(schemaFile), schemaFile)
  const type = sessionType(header.schema, schemaFile)
  const signals = template(FILE_SECONDS)
  const first = 1_752_451_200_000_000n // 2025-07-14T00:00:00Z
  // Each file's BVP runs exactly 1800 s; the next starts two samples early (a 31 ms overlap).
  const stepUs = BigInt(FILE_SECONDS) * 1_000_000n - 31_250n
  const peaksPerFile = Math.floor((FILE_SECONDS - 1) / 0.812345679)
  for (let k = 0; k < files; k++) {
    const startUs = first + BigInt(k) * stepUs
    const seconds = Number(startUs / 1_000_000n)
    const date = new Date(seconds * 1000).toISOString().slice(0, 10)
    const path = join(
      data,
      date,
      `${PARTICIPANT}-${DEVICE}`,
      'raw_data',
      'v6',
      `1-1-${PARTICIPANT}_${seconds}.avro`
    )
    mkdirSync(dirname(path), { recursive: true })
    const encoder = new avro.streams.BlockEncoder(type, { codec: 'deflate' })
    const out = createWriteStream(`${path}.part`)
    encoder.pipe(out)
    encoder.end(record(startUs, signals, peaksPerFile))
    await once(out, 'finish')
    renameSync(`${path}.part`, path)
  }
  mkdirSync(done)
  return data
}

export function countFiles(dir: string): number {
  let n = 0
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : entry.name.endsWith('.avro') ? 1 : 0
  return n
}
