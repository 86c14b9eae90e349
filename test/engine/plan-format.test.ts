import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeWindowSets, readWindowSets, sha256 } from '../../src-main/engine/plan/window-file'
import { arraySpec, parseSbatchOutput, shellQuote, slurmTime } from '../../src-main/engine/plan/sbatch'
import { parseSweep } from '../../src-main/engine/plan/sweep'
import type { WindowSet } from '../../src-main/engine/windows/types'
import { Random } from '../../src-main/engine/training/random'

const dir = mkdtempSync(join(tmpdir(), 'emoheal-plan-format-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function windowSet(count: number, seed: number): WindowSet {
  const random = new Random(seed)
  const inputs = [
    { name: 'a', steps: 3, channels: 2 },
    { name: 'b', steps: 5, channels: 1 }
  ]
  return {
    preset: 'paper',
    target: 'arousal',
    labelSource: 'external',
    threshold: 2,
    windowMs: 5000,
    inputs,
    channelNames: [['x', 'y'], ['z']],
    windows: Array.from({ length: count }, (_, k) => ({
      sessionId: 1 + (k % 3),
      participant: `P${k % 3}`,
      endMs: 1_700_000_000_000 + k * 5000,
      rating: 1 + (k % 5),
      label: k % 5 > 1 ? 1 : 0,
      inputs: inputs.map((shape) =>
        Float32Array.from({ length: shape.steps * shape.channels }, () => random.normal() * 1e3)
      ),
      // The baseline's features travel with the windows, nulls (a feature the window lacks) included.
      physiology: [random.normal(), k % 2 === 0 ? null : random.normal() * 1e-3, 60 + k]
    })),
    dropped: { missingSignal: 2, gapped: 1, unlabelled: 0 },
    classCounts: [0, 0]
  }
}

describe('plan window file', () => {
  it('reads back every window bit for bit, set by set', async () => {
    const sets = [windowSet(7, 1), windowSet(4, 2)]
    const bytes = encodeWindowSets(sets)
    const file = join(dir, 'windows.bin')
    writeFileSync(file, bytes)
    const read = await readWindowSets(file, sha256(bytes))
    expect(read).toHaveLength(2)
    read.forEach((set, s) => {
      const { windows, ...meta } = set
      const { windows: original, ...originalMeta } = sets[s]
      expect(meta).toEqual(originalMeta)
      windows.forEach((window, k) => {
        const { inputs, ...rest } = window
        const { inputs: originalInputs, ...originalRest } = original[k]
        expect(rest).toEqual(originalRest)
        inputs.forEach((input, i) =>
          expect(Buffer.from(input.buffer, input.byteOffset, input.byteLength)).toEqual(
            Buffer.from(originalInputs[i].buffer, originalInputs[i].byteOffset, originalInputs[i].byteLength)
          )
        )
      })
    })
  })

  it('refuses a changed file, naming it', async () => {
    const bytes = encodeWindowSets([windowSet(3, 3)])
    const hash = sha256(bytes)
    const file = join(dir, 'changed.bin')
    const changed = Buffer.from(bytes)
    changed[changed.length - 1] ^= 1
    writeFileSync(file, changed)
    await expect(readWindowSets(file, hash)).rejects.toThrow(
      new RegExp(`${file}: content hash .* is not the plan's`)
    )
    writeFileSync(file, bytes.subarray(0, 10))
    await expect(readWindowSets(file, sha256(readFileSync(file)))).rejects.toThrow(
      /not an EmoHeal window file|past the end/
    )
  })
})

describe('sweeps and the array job', () => {
  const allowed = ['learning-rate', 'preset', 'batch-size', 'seed']
  it('crosses the axes, first axis slowest, with train flag names', () => {
    expect(parseSweep('lr=1e-3,5e-4;preset=paper,native', allowed).map((p) => p.overrides)).toEqual([
      { 'learning-rate': '1e-3', preset: 'paper' },
      { 'learning-rate': '1e-3', preset: 'native' },
      { 'learning-rate': '5e-4', preset: 'paper' },
      { 'learning-rate': '5e-4', preset: 'native' }
    ])
    expect(parseSweep(undefined, allowed)).toEqual([{ overrides: {}, label: '' }])
  })
  it('names what is wrong in a sweep', () => {
    expect(() => parseSweep('lr', allowed)).toThrow(/"lr" is not NAME=VALUE/)
    expect(() => parseSweep('epochs=1,2', allowed)).toThrow(/"epochs" is not a flag a sweep can vary/)
    expect(() => parseSweep('lr=1;learning-rate=2', allowed)).toThrow(/learning-rate appears twice/)
    expect(() => parseSweep('seed=', allowed)).toThrow(/seed has no values/)
  })
  it('writes index lists, times and quoting as Slurm and bash read them', () => {
    expect(arraySpec([0, 1, 2, 3], 2)).toBe('0-3%2')
    expect(arraySpec([5, 0, 1, 3, 9, 8], null)).toBe('0-1,3,5,8-9')
    expect(slurmTime(90)).toBe('01:30:00')
    expect(slurmTime(1500)).toBe('1-01:00:00')
    expect(shellQuote('/opt/emo heal/cli.js')).toBe(`'/opt/emo heal/cli.js'`)
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`)
    expect(parseSbatchOutput('4242;cluster\n')).toBe('4242')
    expect(() => parseSbatchOutput('sbatch: error: invalid partition')).toThrow(/no job id/)
  })
})
