import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../src-main/errors'
import {
  asciiOf,
  fixed,
  limitText,
  onsetText,
  recordDuration,
  talText
} from '../../src-main/export/edf-fields'

const rates = (...values: number[]) => values.map((rateHz, i) => ({ name: `s${i}`, rateHz }))

describe('recordDuration', () => {
  it('is the shortest duration holding whole samples of every rate', () => {
    expect(recordDuration(rates(64, 32, 4, 1)).text).toBe('1')
    expect(recordDuration(rates(64, 4)).text).toBe('0.25')
    // 1/256 s needs 10 characters; 4/256 s is the shortest multiple the 8-character field writes exactly.
    expect(recordDuration(rates(512, 256)).text).toBe('0.015625')
    expect(recordDuration(rates(0.5, 4)).text).toBe('2')
    expect(recordDuration(rates(51.2)).text).toBe('0.078125')
  })

  it('lengthens a duration without an exact decimal until it has one (3 Hz and 6 Hz: 1/3 s becomes 1 s)', () => {
    expect(recordDuration(rates(3, 6)).text).toBe('1')
    expect(recordDuration(rates(1000 / 7)).text).toBe('0.007')
  })

  it('refuses rates whose records would exceed 60 s, and rates that are no small fraction', () => {
    expect(() => recordDuration(rates(100.21))).toThrow(/need data records of 100 s or more/)
    expect(() => recordDuration(rates(Math.PI))).toThrow(ValidationError)
  })
})

describe('header fields', () => {
  it('rounds physical limits outward to 8 characters', () => {
    expect(limitText(-12345.678, 'down', 'physicalMin')).toBe('-12345.7')
    expect(limitText(12345.6712, 'up', 'physicalMax')).toBe('12345.68')
    expect(limitText(0.123456789, 'up', 'physicalMax')).toBe('0.123457')
    expect(() => limitText(1e12, 'up', 'physicalMax')).toThrow(/does not fit the 8 characters/)
  })

  it('spells units in ASCII and pads or cuts free text to its width', () => {
    expect(asciiOf('µS')).toBe('uS')
    expect(asciiOf('m/s²')).toBe('m/s2')
    expect(asciiOf('°C')).toBe('degC')
    expect(asciiOf('心拍')).toBeNull()
    expect(fixed('Debate é', 10)).toBe('Debate _  ')
    expect(fixed('x'.repeat(90), 80)).toHaveLength(80)
  })

  it('writes TAL onsets with a sign and no exponent, and keeps delimiters out of TAL text', () => {
    expect(onsetText(0)).toBe('+0')
    expect(onsetText(10.5)).toBe('+10.5')
    expect(onsetText(-0.25)).toBe('-0.25')
    expect(onsetText(1e-7)).toBe('+0')
    expect(talText('a\u0014b\u0000c\nd')).toBe('a b c d')
  })
})
