import { describe, expect, it } from 'vitest'
import { FileFormatError } from '../../src-main/errors'
import { readNamedColumns, readNumericRows } from '../../src-main/datasets/csv-reader'

const bytes = (text: string) => Buffer.from(text, 'utf8')

function errorOf(run: () => unknown): FileFormatError {
  try {
    run()
  } catch (error) {
    if (error instanceof FileFormatError) return error
    throw error
  }
  throw new Error('expected a FileFormatError')
}

describe('readNamedColumns', () => {
  it('parses every number exactly as Number() does', () => {
    // Numbers of the shapes sensor files hold, plus ones that need the slow path (long mantissas, exponents).
    const texts: string[] = []
    let state = 12345
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let i = 0; i < 2000; i++) {
      const kind = i % 6
      if (kind === 0) texts.push(String(1546824471000 + Math.floor(next() * 1e6)))
      else if (kind === 1) texts.push((next() * 200 - 100).toFixed(2))
      else if (kind === 2) texts.push(next().toFixed(6))
      else if (kind === 3) texts.push(String(next() * 1e-3))
      else if (kind === 4)
        texts.push(`${Math.floor(next() * 1e9)}.${String(Math.floor(next() * 1e9)).padStart(9, '0')}`)
      else texts.push(`-${(next() * 1e3).toFixed(4)}`)
    }
    const rows = texts.map((text, i) => `${i},${text},SERIAL`)
    const table = readNamedColumns(bytes(`index,value,device_serial\n${rows.join('\n')}\n`), 'numbers.csv', [
      'value',
      'index'
    ])
    expect(table.rowCount).toBe(texts.length)
    texts.forEach((text, i) => {
      expect(table.columns[0][i]).toBe(Number(text))
      expect(table.columns[1][i]).toBe(i)
    })
  })

  it('finds columns by name in any order, ignoring case, spaces, a BOM and CRLF line ends', () => {
    const text = '\ufeff Value ,  TIMESTAMP,device_serial\r\n1.5,100,A\r\n-2,200,B\r\n'
    const table = readNamedColumns(bytes(text), 'f.csv', ['timestamp', 'value'])
    expect(Array.from(table.columns[0])).toEqual([100, 200])
    expect(Array.from(table.columns[1])).toEqual([1.5, -2])
    expect(Array.from(table.lines)).toEqual([2, 3])
  })

  it('reads "x" and empty cells as missing only where allowed, and counts them', () => {
    const text = 'a,b\n1,x\n,2\n3,4\n'
    const table = readNamedColumns(bytes(text), 'f.csv', ['a', 'b'], { allowMissing: true })
    expect(table.missingCells).toBe(2)
    expect(Number.isNaN(table.columns[1][0])).toBe(true)
    expect(Number.isNaN(table.columns[0][1])).toBe(true)
    expect(table.columns[0][2]).toBe(3)
    expect(errorOf(() => readNamedColumns(bytes(text), 'f.csv', ['a', 'b'])).message).toBe(
      'f.csv:2: column "b" is not a number: "x"'
    )
  })

  it('names the file and line of text in a numeric column', () => {
    const error = errorOf(() =>
      readNamedColumns(bytes('timestamp,value\n1,2\n2,3\n3,abc\n'), 'E4_BVP.csv', ['timestamp', 'value'])
    )
    expect(error.message).toBe('E4_BVP.csv:4: column "value" is not a number: "abc"')
    expect(error.line).toBe(4)
  })

  it('reports a truncated last line', () => {
    const error = errorOf(() =>
      readNamedColumns(bytes('timestamp,value,device_serial\n1,2,A\n2,3,A\n3,4'), 'E4_EDA.csv', ['value'])
    )
    expect(error.message).toBe('E4_EDA.csv:4: 2 fields, expected 3 (truncated last line?)')
  })

  it('refuses a file without the named column, quoting its header', () => {
    const error = errorOf(() =>
      readNamedColumns(bytes('time,val\n1,2\n'), 'E4_HR.csv', ['timestamp', 'value'])
    )
    expect(error.message).toBe('E4_HR.csv:1: no "timestamp" column (header: time, val)')
  })

  it('skips quoted text cells that hold commas', () => {
    const table = readNamedColumns(bytes('a,note,b\n1,"x, y",2\n'), 'f.csv', ['a', 'b'])
    expect([table.columns[0][0], table.columns[1][0]]).toEqual([1, 2])
  })
})

describe('readNumericRows', () => {
  it('skips blank lines but keeps line numbers true', () => {
    const rows = readNumericRows(bytes('1\n\n2\n  \n3\n'), 'f.csv', {
      offset: 0,
      firstLine: 1,
      fieldCount: 1,
      fields: [0],
      names: ['v']
    })
    expect(Array.from(rows.columns[0])).toEqual([1, 2, 3])
    expect(Array.from(rows.lines)).toEqual([1, 3, 5])
  })
})
