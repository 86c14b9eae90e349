import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importDataset } from '../../../src-main/datasets/import-service'
import { readEmbraceFile } from '../../../src-main/datasets/embraceplus/embrace-file'
import { SignalStore } from '../../../src-main/store/signal-store'
import { newStudy } from '../study-helpers'

/** Real files from others' wristbands (shared/real-data/README.md has the counts an independent decoder found). */
const REAL = resolve(__dirname, '../../../../shared/real-data')
const PAULHIBBING = `${REAL}/embraceplus_paulhibbing.avro`
const PARADIGMA = `${REAL}/embraceplus_paradigma.avro`

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

function medianMagnitude(samples: Float32Array): number {
  const out: number[] = []
  for (let i = 0; i < samples.length; i += 3) out.push(Math.hypot(samples[i], samples[i + 1], samples[i + 2]))
  return median(out)
}

const present = existsSync(PAULHIBBING) && existsSync(PARADIGMA)
if (!present) console.log(`skipping the real EmbracePlus files: ${REAL} is absent`)

describe.skipIf(!present)('real EmbracePlus files', () => {
  it('reads the 6.3.0 file (invalid record default, range-based ACC units, empty gyroscope)', () => {
    const file = readEmbraceFile(readFileSync(PAULHIBBING), PAULHIBBING)
    expect(file).toMatchObject({ participant: 'TEST', device: '3YK3M1619H', timezoneS: -18000 })
    expect(file.version).toEqual({ major: 6, minor: 3, patch: 0 })
    const counts = Object.fromEntries(file.sensors.map((s) => [s.kind.name, s.count]))
    expect(counts).toEqual({ acc: 22208, eda: 1380, temp: 345, bvp: 22016, steps: 68 })
    expect(file.empty).toContain('gyro')
    expect(file.peaksNs.length).toBe(416)
    expect(file.sensors.find((s) => s.kind.name === 'acc')!.rateHz).toBeCloseTo(64.0023, 3)
    expect(medianMagnitude(file.sensors.find((s) => s.kind.name === 'acc')!.samples)).toBeCloseTo(1.013, 2)
  })

  it('reads the 6.5.0 file (conversionFactor, empty magnetometer and light, steps every 3 s)', () => {
    const file = readEmbraceFile(readFileSync(PARADIGMA), PARADIGMA)
    expect(file).toMatchObject({ participant: '000001', device: '3YK3K152XH', timezoneS: 3600 })
    const counts = Object.fromEntries(file.sensors.map((s) => [s.kind.name, s.count]))
    expect(counts).toEqual({ acc: 115904, eda: 7244, temp: 1811, bvp: 115904, steps: 603 })
    expect(file.empty).toEqual(expect.arrayContaining(['gyro', 'magnetometer', 'light']))
    expect(file.peaksNs.length).toBe(1796)
    expect(file.peaksNs[0] > 2n ** 53n).toBe(true)
    expect(medianMagnitude(file.sensors.find((s) => s.kind.name === 'acc')!.samples)).toBeCloseTo(1.004, 2)
  })

  it('imports both into a study at their own rates, with the zone of the file', () => {
    const study = newStudy()
    const report = importDataset(study, { kind: 'embraceplus', path: PARADIGMA, participant: '000001' })
    const [session] = study.listSessions()
    expect(session.timezone).toBe('Etc/GMT-1')
    const rates = Object.fromEntries(session.streams.map((s) => [s.name, s.rateHz]))
    expect(rates).toMatchObject({
      acc: 64,
      bvp: 64,
      eda: 4,
      temp: 1,
      steps: 1 / 3,
      systolic_peaks: 0,
      ibi: 0
    })
    const signals = new SignalStore(study.db)
    const temp = signals.read(session.streams.find((s) => s.name === 'temp')!.id)
    expect(temp.times.length).toBe(1811)
    expect(report.participants[0].files).toMatchObject({
      count: 1,
      schemaVersions: ['6.5.0'],
      systolicPeaks: 1796
    })
    study.close()
  })
})
