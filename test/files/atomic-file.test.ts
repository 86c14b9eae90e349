import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeFileAtomically } from '../../src-main/files/atomic-file'

const dir = mkdtempSync(join(tmpdir(), 'emoheal-atomic-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('writeFileAtomically', () => {
  it('replaces a file whole, creating its folder, and leaves no temporary file', async () => {
    const file = join(dir, 'nested', 'model.onnx')
    await writeFileAtomically(file, Uint8Array.of(1, 2, 3))
    await writeFileAtomically(file, 'second')
    expect(readFileSync(file, 'utf8')).toBe('second')
    expect(readdirSync(join(dir, 'nested'))).toEqual(['model.onnx'])
  })

  it('keeps what was there when the rename cannot happen, and cleans up after itself', async () => {
    const target = join(dir, 'taken')
    mkdirSync(target)
    writeFileSync(join(target, 'inside.txt'), 'kept')
    await expect(writeFileAtomically(target, 'new bytes')).rejects.toThrow()
    expect(readFileSync(join(target, 'inside.txt'), 'utf8')).toBe('kept')
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([])
  })
})
