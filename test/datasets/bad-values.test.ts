import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileFormatError, ValidationError, type EmohealError } from '../../src-main/errors'
import type { CsvMapping } from '../../src-main/datasets/generic-csv'
import { importDataset, type ImportRequest } from '../../src-main/datasets/import-service'
import { renderList, renderToken } from '../../src-main/datasets/safe-text'
import { SignalStore } from '../../src-main/store/signal-store'
import type { StudyStore } from '../../src-main/store/study-store'
import { dumpStudy, FIXTURES, fixtureCopy, newStudy, temporaryFolder } from './study-helpers'

/** A study with data in it, the import that must fail, and proof that nothing of it was written. */
function refusal(request: ImportRequest): EmohealError {
  const study = newStudy()
  importDataset(study, { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'base' })
  const before = dumpStudy(study)
  let thrown: unknown
  try {
    importDataset(study, request)
  } catch (error) {
    thrown = error
  }
  expect(dumpStudy(study)).toBe(before)
  study.close()
  if (!thrown) throw new Error('the import succeeded')
  return thrown as EmohealError
}

function e4Session(files: Record<string, string>): string {
  const copy = fixtureCopy('e4-connect')
  const session = join(copy, '1635148245_A00204')
  for (const [name, content] of Object.entries(files)) writeFileSync(join(session, name), content)
  return session
}

function kemoconCopy(edits: Record<string, (text: string) => string>): string {
  const copy = fixtureCopy('kemocon-quirks')
  for (const [file, edit] of Object.entries(edits)) {
    writeFileSync(join(copy, file), edit(readFileSync(join(copy, file), 'utf8')))
  }
  return copy
}

function csvFile(text: string | Buffer, name = 'lab.csv'): string {
  const path = join(temporaryFolder(), name)
  writeFileSync(path, text)
  return path
}

function stream(study: StudyStore, name: string) {
  const session = study.listSessions().find((s) => s.streams.some((st) => st.name === name))!
  return new SignalStore(study.db).read(session.streams.find((s) => s.name === name)!.id)
}

const edaMapping: CsvMapping = {
  participant: 'L1',
  stream: 'eda',
  columns: ['eda'],
  unit: 'uS',
  timeColumn: 't'
}

describe('numbers no study can store are refused with file and line', () => {
  it('1e39 in a K-EmoCon TEMP file (found by fuzzing: it was stored as Infinity)', () => {
    const copy = kemoconCopy({ 'e4_data/e4_data/2/E4_TEMP.csv': (t) => t.replace('34.25', '1e39') })
    const error = refusal({ kind: 'kemocon', path: copy })
    expect(error).toBeInstanceOf(FileFormatError)
    expect(error.message).toBe(
      'e4_data/2/E4_TEMP.csv:3: column "value" holds "1e39", beyond the +-3.4e38 a study can store'
    )
  })

  it('-1e400 as a tag time (found by fuzzing: a marker at -Infinity)', () => {
    const session = e4Session({ 'tags.csv': '1635148300.10\n-1e400\n' })
    expect(refusal({ kind: 'e4', path: session, participant: 'S1' }).message).toBe(
      `${session}/tags.csv:2: column "tag time" holds "-1e400", beyond the +-3.4e38 a study can store`
    )
  })
})

describe('times and rates outside what a recording can have are refused with file and line', () => {
  it('an E4 start time past 2100 (found by fuzzing: samples stored at 7.7e26 ms)', () => {
    const session = e4Session({ 'TEMP.csv': '777777777777777.00\n4.00\n31.95\n' })
    expect(refusal({ kind: 'e4', path: session, participant: 'S1' }).message).toBe(
      `${session}/TEMP.csv:1: the start time 777777777777777 is not a time between 2000 and 2100 (a wrong unit, or a damaged file?)`
    )
  })

  it('an E4 rate of 1e-300 Hz or 1e300 Hz (times of Infinity, or all at one instant)', () => {
    for (const rate of ['1e-300', '1e300']) {
      const session = e4Session({ 'EDA.csv': `1635148245.00\n${rate}\n0.1\n0.2\n` })
      expect(refusal({ kind: 'e4', path: session, participant: 'S1' }).message).toBe(
        `${session}/EDA.csv:2: the sample rate must be between 0.001 and 10000 Hz, found ${Number(rate)}`
      )
    }
  })

  it('ACC axes that disagree on their start time', () => {
    const session = e4Session({ 'ACC.csv': '1635148245, 1635148246, 1635148245\n32, 32, 32\n1,2,3\n' })
    expect(refusal({ kind: 'e4', path: session, participant: 'S1' }).message).toBe(
      `${session}/ACC.csv:1: the start time differs between columns (1635148245, 1635148246, 1635148245)`
    )
  })

  it('an IBI beat repeated, or before the start', () => {
    const repeated = e4Session({ 'IBI.csv': '1635148245, IBI\n39.1875,0.71875\n39.1875,0.8125\n' })
    expect(refusal({ kind: 'e4', path: repeated, participant: 'S1' }).message).toBe(
      `${repeated}/IBI.csv:3: repeats the previous beat (39.1875 s after 39.1875 s)`
    )
    const early = e4Session({ 'IBI.csv': '1635148245, IBI\n-3,0.71875\n' })
    expect(refusal({ kind: 'e4', path: early, participant: 'S1' }).message).toBe(
      `${early}/IBI.csv:2: the first beat is before the start time (-3 s)`
    )
  })

  it('a K-EmoCon timestamp in the wrong unit among good ones', () => {
    const copy = kemoconCopy({
      'e4_data/e4_data/1/E4_HR.csv': (t) => t.replace('1546824001000', '1546824001000000')
    })
    expect(refusal({ kind: 'kemocon', path: copy }).message).toBe(
      'e4_data/1/E4_HR.csv:3: timestamp 1546824001000000 is not a time between 2000 and 2100 (a wrong unit, or a damaged file?)'
    )
  })

  it('a debate time of 0 and a participant id of 1.5 in subjects.csv', () => {
    const zero = kemoconCopy({ 'metadata/subjects.csv': (t) => t.replace('1546823992000', '0') })
    expect(refusal({ kind: 'kemocon', path: zero }).message).toBe(
      'metadata/subjects.csv:3: initTime 0 is not a time between 2000 and 2100 (a wrong unit, or a damaged file?)'
    )
    const fraction = kemoconCopy({ 'metadata/subjects.csv': (t) => t.replace(',2,', ',1.5,') })
    expect(refusal({ kind: 'kemocon', path: fraction }).message).toBe(
      'metadata/subjects.csv:3: not a participant id: 1.5'
    )
  })

  it('an annotation "seconds" far past any debate', () => {
    const copy = kemoconCopy({
      'emotion_annotations/self_annotations/P1.self.csv': (t) => t.replace('\n10,4,3', '\n1e20,4,3')
    })
    expect(refusal({ kind: 'kemocon', path: copy }).message).toBe(
      'emotion_annotations/self_annotations/P1.self.csv:3: seconds 100000000000000000000 is not within the debate (0..86400 s after its start)'
    )
  })

  it('a lab CSV start time of NaN (found by fuzzing: an SQLite NOT NULL error, not a named one)', () => {
    const path = csvFile('eda\n1\n2\n')
    const mapping: CsvMapping = {
      participant: 'L1',
      stream: 'eda',
      columns: ['eda'],
      unit: 'uS',
      rateHz: 4,
      startMs: NaN
    }
    const error = refusal({ kind: 'csv', path, mapping })
    expect(error).toBeInstanceOf(ValidationError)
    expect([error.field, error.message]).toEqual([
      'startMs',
      'the start time "NaN" ms is not a time between 2000 and 2100'
    ])
  })

  it('a lab CSV start of -1 ms, and a rate of 1e-300 Hz (found by fuzzing: stored as given)', () => {
    const path = csvFile('eda\n1\n2\n')
    const base: CsvMapping = {
      participant: 'L1',
      stream: 'eda',
      columns: ['eda'],
      unit: 'uS',
      rateHz: 4,
      startMs: -1
    }
    expect(refusal({ kind: 'csv', path, mapping: base }).field).toBe('startMs')
    const slow = refusal({ kind: 'csv', path, mapping: { ...base, startMs: 1.7e12, rateHz: 1e-300 } })
    expect([slow.field, slow.message]).toEqual([
      'rateHz',
      'the sample rate must be between 0.001 and 10000 Hz, not 1e-300'
    ])
  })

  it('a lab CSV time column a microsecond apart (a column that holds no times)', () => {
    const path = csvFile('t,eda\n1700000000000,1\n1700000000000.0625,2\n1700000000000.125,3\n')
    expect(refusal({ kind: 'csv', path, mapping: edaMapping }).message).toBe(
      'lab.csv:2: the times are 0.0625 ms apart on average (16000 Hz, above 10000 Hz): the wrong column or unit?'
    )
  })
})

describe('samples a wristband cannot produce become gaps counted in the report', () => {
  it('K-EmoCon: an EDA of 150 uS is left out, its neighbours keep their times', () => {
    const copy = kemoconCopy({ 'e4_data/e4_data/1/E4_EDA.csv': (t) => t.replace('0.52', '150') })
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: copy })
    expect(report.participants[0].problems).toContain(
      'e4_data/1/E4_EDA.csv: 1 rows with values outside 0..100 uS left out as gaps (first at line 3: 150)'
    )
    const eda = stream(study, 'eda')
    expect(Array.from(eda.times.subarray(0, 3))).toEqual([1546823990000, 1546823990500, 1546823990750])
    expect(report.participants[0].streams.find((s) => s.name === 'eda')!.samples).toBe(3)
    study.close()
  })

  it('E4 Connect: an ACC row of 300 and an IBI of 5 s are gaps; the rest stays on its clock', () => {
    const session = e4Session({
      'ACC.csv': '1635148245, 1635148245, 1635148245\n32, 32, 32\n-21,4,60\n-20,300,61\n-22,4,59\n-21,3,60\n',
      'IBI.csv': '1635148245, IBI\n39.1875,0.71875\n40,5\n41.765625,0.921875\n'
    })
    const study = newStudy()
    const report = importDataset(study, { kind: 'e4', path: session, participant: 'S1' })
    expect(report.participants[0].problems).toEqual(
      expect.arrayContaining([
        `${session}/ACC.csv: 1 rows with values outside -128..127 1/64 g left out as gaps (first at line 4: 300)`,
        `${session}/IBI.csv: 1 rows with values outside 0.24..3 s left out as gaps (first at line 3: 5)`
      ])
    )
    const acc = stream(study, 'acc')
    expect(Array.from(acc.times)).toEqual([0, 2, 3].map((k) => 1635148245000 + (k * 1000) / 32))
    expect(Array.from(stream(study, 'ibi').samples)).toEqual([0.71875, 0.921875])
    study.close()
  })

  it('a lab CSV named "eda" in uS is judged like the wristband; one in kOhm is not', () => {
    const path = csvFile('t,eda\n1700000000000,1\n1700000000250,250\n1700000000500,2\n')
    const study = newStudy()
    const report = importDataset(study, { kind: 'csv', path, mapping: edaMapping })
    expect(report.participants[0].problems).toEqual([
      'lab.csv: 1 rows with values outside 0..100 uS left out as gaps (first at line 3: 250)'
    ])
    expect(report.totals.samples).toBe(2)
    const other = importDataset(study, { kind: 'csv', path, mapping: { ...edaMapping, unit: 'kOhm' } })
    expect(other.totals.samples).toBe(3)
    study.close()
  })

  it('refuses a file whose values are mostly out of range: the wrong unit, not a glitch', () => {
    const copy = kemoconCopy({
      'e4_data/e4_data/1/E4_EDA.csv': (t) =>
        t.replace('0.52', '520').replace('0.55', '550').replace('0.61', '610')
    })
    expect(refusal({ kind: 'kemocon', path: copy }).message).toBe(
      'e4_data/1/E4_EDA.csv:3: 3 of 4 rows hold values outside 0..100 uS (first 520): the wrong column or unit?'
    )
  })

  it('K-EmoCon: an emotion of -5 is read as missing and reported (found by fuzzing: stored as -5)', () => {
    const copy = kemoconCopy({
      'emotion_annotations/aggregated_external_annotations/P1.external.csv': (t) =>
        t.replace('\n10,3.5,3,2,', '\n10,3.5,3,-5,')
    })
    const study = newStudy()
    const report = importDataset(study, { kind: 'kemocon', path: copy })
    expect(report.participants[0].problems).toContain(
      'emotion_annotations/aggregated_external_annotations/P1.external.csv:3: "cheerful" -5 is outside 0..5, read as missing'
    )
    study.close()
  })
})

describe('bad bytes in messages are escaped and cut short', () => {
  it('renders controls, bidi overrides, invalid UTF-8 and long runs safely', () => {
    expect(renderToken('high')).toBe('"high"')
    expect(renderToken(Buffer.from([0x00, 0x31, 0xff, 0x22, 0x5c]))).toBe('"\\x001\\xff\\"\\\\"')
    expect(renderToken('\u202e1635\ufeff\u00a0')).toBe('"\\u{202E}1635\\u{FEFF}\\xa0"')
    expect(renderToken(Buffer.from('a\r\nb\tµ'))).toBe('"a\\r\\nb\\tµ"')
    expect(renderToken('7'.repeat(18_000))).toBe(`"${'7'.repeat(40)}…" (18000 characters)`)
    expect(renderToken(Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80]))).toBe('"\\xc0\\x80\\xed\\xa0\\x80"')
    expect(renderList(['time', 'val\u0000', 'x'.repeat(50)])).toBe(`time, val\\x00, ${'x'.repeat(40)}…`)
    expect(renderList(Array.from({ length: 100 }, (_, k) => `column_${k}`))).toMatch(/, … \(100 columns\)$/)
  })

  it('a K-EmoCon header with a NUL byte and 18 KB of digits (found by fuzzing: quoted raw, unbounded)', () => {
    const copy = kemoconCopy({ 'e4_data/e4_data/1/E4_TEMP.csv': (t) => `\u0000${'7'.repeat(18_000)}${t}` })
    const message = refusal({ kind: 'kemocon', path: copy }).message
    expect(message).toBe(
      `e4_data/1/E4_TEMP.csv:1: no "timestamp" column (header: \\x00${'7'.repeat(39)}…, value, device_serial)`
    )
  })

  it('an E4 start row of raw bytes, and an IBI first line', () => {
    const session = e4Session({ 'HR.csv': '\u202e\u0001\u00ff1635148255\n1\n79\n' })
    expect(refusal({ kind: 'e4', path: session, participant: 'S1' }).message).toBe(
      `${session}/HR.csv:1: expected the start time (a number), found "\\u{202E}\\x01ÿ1635148255": not an E4 Connect file?`
    )
    const ibi = e4Session({ 'IBI.csv': `1635148245, IBI${'!'.repeat(100)}\n39.1875,0.71875\n` })
    expect(refusal({ kind: 'e4', path: ibi, participant: 'S1' }).message).toBe(
      `${ibi}/IBI.csv:1: row 1 should be "<start time>, IBI", found "1635148245, IBI${'!'.repeat(45)}…" (115 characters)`
    )
  })

  it('a bad cell with invalid UTF-8 shows its bytes', () => {
    const path = csvFile(
      Buffer.concat([
        Buffer.from('t,eda\n1700000000000,'),
        Buffer.from([0xb8, 0xc0, 0x59]),
        Buffer.from('\n')
      ])
    )
    expect(refusal({ kind: 'csv', path, mapping: edaMapping }).message).toBe(
      'lab.csv:2: column "eda" is not a number: "\\xb8\\xc0Y"'
    )
  })
})

describe('line ends and byte-order marks of edited files', () => {
  it('reads CR-only files (found by fuzzing: the whole file was quoted in a header error)', () => {
    const session = e4Session({
      'EDA.csv': '1635148245.00\r4.00\r0.000000\r0.184350\r0.190755\r',
      'IBI.csv': '1635148245.000000, IBI\r39.187500,0.718750\r40.000000,0.812500\r'
    })
    const study = newStudy()
    importDataset(study, { kind: 'e4', path: session, participant: 'S1' })
    expect(Array.from(stream(study, 'eda').samples)).toEqual([0, 0.18435, 0.190755].map(Math.fround))
    expect(stream(study, 'ibi').times.length).toBe(2)
    const copy = kemoconCopy({ 'e4_data/e4_data/1/E4_HR.csv': (t) => t.replace(/\n/g, '\r') })
    importDataset(study, { kind: 'kemocon', path: copy })
    study.close()
  })

  it('reads a tags.csv that starts with a byte-order mark (found by fuzzing: refused as not a number)', () => {
    const session = e4Session({ 'tags.csv': '\ufeff1635148300.10\r\n1635148420.55\r\n' })
    const study = newStudy()
    expect(importDataset(study, { kind: 'e4', path: session, participant: 'S1' }).totals.markers).toBe(2)
    study.close()
  })
})

describe('paths that are not regular files are refused before they are read', () => {
  it('a device as a lab CSV (reading /dev/zero never ended and froze the app)', () => {
    // /dev/null stands in for /dev/zero: same guard, but a regression here fails instead of hanging.
    const mapping: CsvMapping = { participant: 'L1', stream: 'x', columns: ['x'], unit: '', timeColumn: 't' }
    expect(refusal({ kind: 'csv', path: '/dev/null', mapping }).message).toBe(
      '/dev/null: not a regular file (a device, a pipe or a folder)'
    )
  })

  it('a device as an E4 path, and a device named .zip among sessions (found by fuzzing: ENOTDIR, unnamed)', () => {
    const device = refusal({ kind: 'e4', path: '/dev/null', participant: 'S1' })
    expect([device.name, device.message]).toEqual([
      'ValidationError',
      '/dev/null: not a file or folder (a device or a pipe)'
    ])
    const dir = temporaryFolder()
    symlinkSync('/dev/null', join(dir, 'session.zip'))
    expect(refusal({ kind: 'e4', path: dir, participant: 'S1' }).message).toBe(
      `${join(dir, 'session.zip')}: not a regular file (a device, a pipe or a folder)`
    )
  })

  it('a FIFO as a lab CSV is refused without opening it', async () => {
    const dir = temporaryFolder()
    const fifo = join(dir, 'pipe.csv')
    try {
      execFileSync('mkfifo', [fifo])
    } catch (error) {
      console.log(`skipped: mkfifo failed (${(error as Error).message})`)
      return
    }
    // A writer that gives up after 2 s: if the importer ever opens the FIFO again, it reads an empty file
    // and this test fails on the message instead of hanging.
    const writer = spawn('sh', ['-c', `exec 3>"${fifo}"; sleep 2`], { stdio: 'ignore' })
    try {
      const mapping: CsvMapping = {
        participant: 'L1',
        stream: 'x',
        columns: ['x'],
        unit: '',
        timeColumn: 't'
      }
      expect(refusal({ kind: 'csv', path: fifo, mapping }).message).toBe(
        `${fifo}: not a regular file (a device, a pipe or a folder)`
      )
    } finally {
      writer.kill()
    }
    expect(existsSync(fifo)).toBe(true)
  })

  it('a file too large for one session is refused from its size, unread', () => {
    const dir = join(temporaryFolder(), 'big')
    mkdirSync(dir)
    const path = join(dir, 'lab.csv')
    // A sparse file: 1.5 GiB by its size, no disk used, never read.
    execFileSync('truncate', ['-s', '1536M', path])
    const mapping: CsvMapping = { participant: 'L1', stream: 'x', columns: ['x'], unit: '', timeColumn: 't' }
    expect(refusal({ kind: 'csv', path, mapping }).message).toBe(
      `${path}: 1.5 GiB, above the 1 GiB one file may have: not the file it should be?`
    )
  })
})
