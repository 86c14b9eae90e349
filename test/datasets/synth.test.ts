import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readNamedColumns } from '../../src-main/datasets/csv-reader'
import { importDataset } from '../../src-main/datasets/import-service'
import { synthesizeKemocon } from '../../src-main/datasets/synth/synthesize'
import { newStudy, temporaryFolder } from './study-helpers'

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesOf(path) : [path]
  })
}

function treeHash(dir: string): string {
  const hash = createHash('sha256')
  for (const file of filesOf(dir).sort()) hash.update(relative(dir, file)).update(readFileSync(file))
  return hash.digest('hex')
}

function table(dir: string, file: string, columns: string[]) {
  return readNamedColumns(readFileSync(join(dir, file)), file, columns).columns
}

function pearson(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length
  const ma = mean(a)
  const mb = mean(b)
  let cov = 0
  let va = 0
  let vb = 0
  for (let i = 0; i < a.length; i++) {
    cov += (a[i] - ma) * (b[i] - mb)
    va += (a[i] - ma) ** 2
    vb += (b[i] - mb) ** 2
  }
  return cov / Math.sqrt(va * vb)
}

/** Per 5-s rated interval: the mean of a signal there, minus the participant's own mean (baselines differ). */
function windowMeans(
  dir: string,
  pid: number,
  signal: string,
  debateStartMs: number,
  ends: Float64Array
): number[] {
  const [times, values] = table(dir, `e4_data/${pid}/E4_${signal}.csv`, ['timestamp', 'value'])
  const means = Array.from(ends, (seconds) => {
    const to = debateStartMs + seconds * 1000
    let sum = 0
    let n = 0
    for (let i = 0; i < times.length; i++) {
      if (times[i] >= to - 5000 && times[i] < to) {
        sum += values[i]
        n++
      }
    }
    return sum / n
  })
  const mean = means.reduce((s, x) => s + x, 0) / means.length
  return means.map((m) => m - mean)
}

/** Within-participant correlation of a signal's window means with the aggregated external arousal. */
function coupling(dir: string, participants: number, signal: string): number {
  const [pids, starts] = table(dir, 'metadata/subjects.csv', ['pid', 'startTime'])
  const xs: number[] = []
  const ys: number[] = []
  for (let k = 0; k < participants; k++) {
    const [seconds, arousal] = table(
      dir,
      `emotion_annotations/aggregated_external_annotations/P${pids[k]}.external.csv`,
      ['seconds', 'arousal']
    )
    xs.push(...windowMeans(dir, pids[k], signal, starts[k], seconds))
    const mean = arousal.reduce((s, x) => s + x, 0) / arousal.length
    ys.push(...Array.from(arousal, (a) => a - mean))
  }
  return pearson(xs, ys)
}

describe('synthetic K-EmoCon generator', () => {
  it('writes the same files for the same seed, and other files for another seed', () => {
    const options = { participants: 2, minutes: 1, leadMinutes: 0.5, tailMinutes: 0.2 }
    const a = join(temporaryFolder(), 'a')
    const b = join(temporaryFolder(), 'b')
    const c = join(temporaryFolder(), 'c')
    synthesizeKemocon({ ...options, out: a, seed: 5 })
    synthesizeKemocon({ ...options, out: b, seed: 5 })
    synthesizeKemocon({ ...options, out: c, seed: 6 })
    expect(treeHash(a)).toBe(treeHash(b))
    expect(treeHash(a)).not.toBe(treeHash(c))
  })

  it('writes a K-EmoCon layout that the importer reads without a problem', () => {
    const out = join(temporaryFolder(), 'synth')
    synthesizeKemocon({ out, participants: 3, minutes: 1, seed: 1, leadMinutes: 1, tailMinutes: 0.5 })
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: out })
    expect(report.problems).toEqual([])
    // Participant 3 has no partner: everything else is there for everyone.
    expect(report.participants.map((p) => p.problems)).toEqual([[], [], []])
    expect(report.participants.map((p) => p.annotations.partner)).toEqual([12, 12, 0])
    expect(report.participants[0].annotations).toMatchObject({
      self: 12,
      aggregate: 12,
      external: { R1: 12, R5: 12 }
    })
    for (const participant of report.participants) {
      for (const stream of participant.streams) {
        if (stream.nominalHz > 0)
          expect(Math.abs(stream.measuredHz / stream.nominalHz - 1)).toBeLessThan(0.002)
      }
    }
    // Pairs debate together; each wristband starts before the debate.
    const [pids, init, start, end] = table(out, 'metadata/subjects.csv', [
      'pid',
      'initTime',
      'startTime',
      'endTime'
    ])
    expect(Array.from(pids)).toEqual([1, 2, 3])
    expect(start[0]).toBe(start[1])
    expect(start[2]).not.toBe(start[0])
    for (let k = 0; k < 3; k++) {
      expect(end[k] - start[k]).toBe(60_000)
      expect(start[k] - init[k]).toBeGreaterThan(30_000)
    }
    study.close()
  })

  it('makes physiologically plausible signals, with HR and IBI from the same beats', () => {
    const out = join(temporaryFolder(), 'synth')
    synthesizeKemocon({ out, participants: 2, minutes: 2, seed: 3 })
    for (const pid of [1, 2]) {
      const [, hr] = table(out, `e4_data/${pid}/E4_HR.csv`, ['timestamp', 'value'])
      expect(Math.min(...hr)).toBeGreaterThanOrEqual(55)
      expect(Math.max(...hr)).toBeLessThanOrEqual(110)
      const [, ibi] = table(out, `e4_data/${pid}/E4_IBI.csv`, ['timestamp', 'value'])
      const meanHr = hr.reduce((s, x) => s + x, 0) / hr.length
      const rateFromIbi = 60 / (ibi.reduce((s, x) => s + x, 0) / ibi.length)
      expect(Math.abs(rateFromIbi - meanHr)).toBeLessThan(4)
      const [, eda] = table(out, `e4_data/${pid}/E4_EDA.csv`, ['timestamp', 'value'])
      expect(Math.min(...eda)).toBeGreaterThan(0)
      const [, temp] = table(out, `e4_data/${pid}/E4_TEMP.csv`, ['timestamp', 'value'])
      expect(Math.min(...temp)).toBeGreaterThan(29)
      expect(Math.max(...temp)).toBeLessThan(37)
      // At rest the wrist feels 1 g (64 units) whatever its posture.
      const [x, y, z] = table(out, `e4_data/${pid}/E4_ACC.csv`, ['x', 'y', 'z'])
      const magnitudes = Array.from(x, (_, i) => Math.hypot(x[i], y[i], z[i])).sort((a, b) => a - b)
      expect(magnitudes[magnitudes.length >> 1]).toBeGreaterThan(58)
      expect(magnitudes[magnitudes.length >> 1]).toBeLessThan(70)
      // The pulse wave beats at the heart rate: its autocorrelation peaks at one beat's lag.
      const [, bvp] = table(out, `e4_data/${pid}/E4_BVP.csv`, ['timestamp', 'value'])
      let bestLag = 0
      let best = -Infinity
      for (let lag = 32; lag <= 70; lag++) {
        let sum = 0
        for (let i = lag; i < bvp.length; i++) sum += bvp[i] * bvp[i - lag]
        if (sum > best) [best, bestLag] = [sum, lag]
      }
      expect(Math.abs((64 * 60) / bestLag - meanHr)).toBeLessThan(meanHr * 0.1)
    }
  })

  it('plants an arousal coupling in HR and EDA that fades with difficulty', () => {
    const options = { participants: 4, minutes: 4, seed: 21, leadMinutes: 0.5, tailMinutes: 0.2 }
    const easy = join(temporaryFolder(), 'easy')
    const hard = join(temporaryFolder(), 'hard')
    const medium = join(temporaryFolder(), 'medium')
    synthesizeKemocon({ ...options, out: easy, difficulty: 'easy' })
    synthesizeKemocon({ ...options, out: medium })
    synthesizeKemocon({ ...options, out: hard, difficulty: 'hard' })
    const hrEasy = coupling(easy, 4, 'HR')
    const hrMedium = coupling(medium, 4, 'HR')
    const hrHard = coupling(hard, 4, 'HR')
    expect(hrMedium).toBeGreaterThan(0.3)
    expect(hrEasy).toBeGreaterThan(hrHard)
    expect(coupling(medium, 4, 'EDA')).toBeGreaterThan(0.1)
    expect(coupling(easy, 4, 'EDA')).toBeGreaterThan(coupling(hard, 4, 'EDA'))
  })
})
