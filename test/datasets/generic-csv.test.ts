import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileFormatError, ValidationError } from '../../src-main/errors'
import { importDataset } from '../../src-main/datasets/import-service'
import { SignalStore } from '../../src-main/store/signal-store'
import { dumpStudy, newStudy, temporaryFolder } from './study-helpers'

function csvFile(text: string): string {
  const path = join(temporaryFolder(), 'lab.csv')
  writeFileSync(path, text)
  return path
}

describe('generic CSV import', () => {
  it('maps a time column in epoch seconds and chosen value columns onto one stream', () => {
    const path = csvFile(
      't,gsr,skin_temp,comment\n1700000000,0.5,33.1,ok\n1700000000.5,0.6,33.2,\n1700000001,0.7,33.2,moved\n'
    )
    const study = newStudy()
    const report = importDataset(study, {
      kind: 'csv',
      path,
      mapping: {
        participant: 'L1',
        stream: 'lab',
        columns: ['gsr', 'skin_temp'],
        unit: 'mixed',
        timeColumn: 't'
      }
    })
    const [session] = study.listSessions()
    const stream = session.streams[0]
    expect(stream).toMatchObject({
      name: 'lab',
      unit: 'mixed',
      channels: ['gsr', 'skin_temp'],
      rateHz: 2,
      sampleCount: 3
    })
    const data = new SignalStore(study.db).read(stream.id)
    expect(Array.from(data.times)).toEqual([1700000000000, 1700000000500, 1700000001000])
    expect(Array.from(data.samples)).toEqual([0.5, 33.1, 0.6, 33.2, 0.7, 33.2].map(Math.fround))
    expect(report.participants[0].streams[0].measuredHz).toBe(2)
    study.close()
  })

  it('places fixed-rate rows from a start time', () => {
    const path = csvFile('eda\n1\n2\n3\n4\n')
    const study = newStudy()
    importDataset(study, {
      kind: 'csv',
      path,
      mapping: {
        participant: 'L2',
        stream: 'eda',
        columns: ['eda'],
        unit: 'uS',
        rateHz: 4,
        startMs: 1000000000000
      }
    })
    const stream = study.listSessions()[0].streams[0]
    expect(Array.from(new SignalStore(study.db).read(stream.id).times)).toEqual(
      [0, 250, 500, 750].map((d) => 1000000000000 + d)
    )
    study.close()
  })

  it('refuses time going backwards, naming the line, and leaves the study unchanged', () => {
    const path = csvFile('time_ms,v\n1700000000000,1\n1700000000100,2\n1700000000050,3\n')
    const study = newStudy()
    const before = dumpStudy(study)
    expect(() =>
      importDataset(study, {
        kind: 'csv',
        path,
        mapping: { participant: 'L3', stream: 'v', columns: ['v'], unit: '', timeColumn: 'time_ms' }
      })
    ).toThrow(new FileFormatError('lab.csv', 'time goes backwards (1700000000050 after 1700000000100)', 4))
    expect(dumpStudy(study)).toBe(before)
    study.close()
  })

  it('asks for a start time when the time column counts from zero', () => {
    const path = csvFile('s,v\n0,1\n0.5,2\n')
    const study = newStudy()
    expect(() =>
      importDataset(study, {
        kind: 'csv',
        path,
        mapping: { participant: 'L4', stream: 'v', columns: ['v'], unit: '', timeColumn: 's' }
      })
    ).toThrow(ValidationError)
    importDataset(study, {
      kind: 'csv',
      path,
      mapping: {
        participant: 'L4',
        stream: 'v',
        columns: ['v'],
        unit: '',
        timeColumn: 's',
        timeUnit: 's',
        startMs: 1600000000000
      }
    })
    const stream = study.listSessions()[0].streams[0]
    expect(Array.from(new SignalStore(study.db).read(stream.id).times)).toEqual([
      1600000000000, 1600000000500
    ])
    study.close()
  })
})
