import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { importTorchModel, readSafetensors } from '../../src-main/engine/torch'
import { unpickle, type PickleResolver } from '../../src-main/engine/torch/pickle'
import { readStateDictFile, readTorchPt } from '../../src-main/engine/torch/torch-pt'
import { predictWindows } from '../../src-main/engine/inference/predict-windows'

// Debian's torch: the pyenv python3 on PATH has none.
const python = '/usr/bin/python3'
const fixtures = path.join(__dirname, '..', 'fixtures', 'torch')
const torchCheck = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' })
const torchMissing = torchCheck.status !== 0
if (torchMissing)
  console.log(
    `.pt import skipped: ${python} cannot import torch (${(torchCheck.stderr || String(torchCheck.error)).trim().split('\n').pop()})`
  )

/** Writes every .pt file the tests read with torch.save itself, and what torch says each tensor holds. */
const writer = String.raw`
import collections, json, os, pickle, sys, zipfile
import torch
sys.path.insert(0, sys.argv[1])
from make_paper_parity import EmoHeal, read_safetensors, write_safetensors
out = sys.argv[2]
join = lambda name: os.path.join(out, name)

model = EmoHeal()
model.load_state_dict(read_safetensors(join('weights.safetensors')), strict=True)
state = model.state_dict()
torch.save(state, join('paper.pt'))
torch.save(state, join('paper-legacy.pt'), _use_new_zipfile_serialization=False)
half = collections.OrderedDict((k, v.half()) for k, v in state.items())
torch.save(half, join('paper-f16.pth'))
write_safetensors(join('paper-f16-rounded.safetensors'), {k: v.float() for k, v in half.items()})

base = (torch.arange(24, dtype=torch.float32) * 0.75 - 7.5).reshape(2, 3, 4)
layouts = collections.OrderedDict()
layouts['base'] = base
layouts['transposed'] = base.transpose(0, 2)
layouts['row'] = base[1]
layouts['stepped'] = base[:, ::2, 1::2]
layouts['half'] = torch.tensor([[1.0, -2.5], [2.0 ** -24, 65504.0]], dtype=torch.float16)
layouts['brain'] = torch.tensor([1.0, -3.140625, 0.5], dtype=torch.bfloat16)
layouts['count'] = torch.tensor([3, -4, 1 << 20], dtype=torch.int64)
layouts['scalar'] = torch.tensor(0.125)
torch.save(layouts, join('layouts.pt'))

def storages(tensors):
    return len({v.storage().data_ptr() for v in tensors.values()})

json.dump({
    'layouts': {k: {'shape': list(v.shape), 'contiguous': v.is_contiguous(),
                    'values': v.double().flatten().tolist()} for k, v in layouts.items()},
    'layoutStorages': storages(layouts),
    'paperKeys': len(state),
    'paperStorages': storages(state),
}, open(join('torch.json'), 'w'))

class Payload:
    def __reduce__(self):
        return (os.system, ('touch ' + join('ran'),))

with zipfile.ZipFile(join('evil.pt'), 'w') as archive:
    archive.writestr('evil/data.pkl', pickle.dumps(collections.OrderedDict(w=Payload()), protocol=2))
    archive.writestr('evil/version', '3\n')
`

interface TorchFacts {
  layouts: Record<string, { shape: number[]; contiguous: boolean; values: number[] }>
  layoutStorages: number
  paperKeys: number
  paperStorages: number
}

describe.skipIf(torchMissing)('state_dicts written by torch.save', () => {
  let directory: string
  let facts: TorchFacts
  let inputs: { channels: string[]; windows: number[][][] }
  const file = (name: string): string => path.join(directory, name)
  const read = (name: string) => readStateDictFile(file(name), readFileSync(file(name)))

  beforeAll(async () => {
    await tf.setBackend('wasm')
    directory = mkdtempSync(path.join(tmpdir(), 'emoheal-pt-'))
    const script = path.join(fixtures, 'make_paper_parity.py')
    execFileSync(python, [script, directory, '--seed', '5', '--windows', '6'], { encoding: 'utf8' })
    execFileSync(python, ['-c', writer, fixtures, directory], { encoding: 'utf8' })
    facts = JSON.parse(readFileSync(file('torch.json'), 'utf8')) as TorchFacts
    inputs = JSON.parse(readFileSync(file('inputs.json'), 'utf8')) as typeof inputs
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  test('F32, F16, BF16, int64, scalars and strided views read as torch sees them', () => {
    const tensors = read('layouts.pt')
    // The views share one storage with base, so the gather by strides is what is under test.
    expect(facts.layoutStorages).toBeLessThan(Object.keys(facts.layouts).length)
    expect(facts.layouts.transposed.contiguous).toBe(false)
    expect(facts.layouts.stepped.contiguous).toBe(false)
    expect([...tensors.keys()]).toEqual(Object.keys(facts.layouts))
    for (const [name, expected] of Object.entries(facts.layouts)) {
      const tensor = tensors.get(name)!
      expect(tensor.shape, name).toEqual(expected.shape)
      expect(tensor.data, name).toEqual(Float32Array.from(expected.values))
    }
  })

  test('the published state_dict reads as the same tensors as its safetensors', () => {
    const fromPt = read('paper.pt')
    const fromSafetensors = readSafetensors(
      file('weights.safetensors'),
      readFileSync(file('weights.safetensors'))
    )
    expect(facts.paperStorages).toBeLessThan(facts.paperKeys)
    expect(fromPt.size).toBe(facts.paperKeys)
    expect([...fromPt.keys()].sort()).toEqual([...fromSafetensors.keys()].sort())
    for (const [name, tensor] of fromSafetensors) expect(fromPt.get(name), name).toEqual(tensor)
  })

  test('F16 weights read as torch rounds them', () => {
    const fromPt = read('paper-f16.pth')
    const rounded = readSafetensors(file('x'), readFileSync(file('paper-f16-rounded.safetensors')))
    expect(fromPt.size).toBe(rounded.size)
    for (const [name, tensor] of rounded) expect(fromPt.get(name), name).toEqual(tensor)
  })

  test('importing the .pt gives the same predictions as importing the safetensors', async () => {
    const fromPt = await importTorchModel(file('paper.pt'), file('from-pt'), { preset: 'paper' })
    await importTorchModel(file('weights.safetensors'), file('from-safetensors'), { preset: 'paper' })
    expect(fromPt.parameterCount).toBe(213_811)
    expect(fromPt.tensorsRead).toBe(facts.paperKeys)
    const a = await predictWindows(file('from-pt'), inputs)
    const b = await predictWindows(file('from-safetensors'), inputs)
    expect(a.probabilities).toHaveLength(inputs.windows.length)
    expect(a.probabilities).toEqual(b.probabilities)
    const expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as { probabilities: number[][] }
    a.probabilities.forEach((row, i) =>
      row.forEach((value, j) => expect(Math.abs(value - expected.probabilities[i][j])).toBeLessThan(1e-4))
    )
  })

  test('a pickle calling os.system is refused by name and never run', async () => {
    await expect(importTorchModel(file('evil.pt'), file('evil-out'))).rejects.toThrow(
      /evil\.pt: pickle byte \d+: refers to posix\.system, which a state_dict never needs/
    )
    expect(existsSync(file('ran'))).toBe(false)
    expect(existsSync(file('evil-out'))).toBe(false)
  })

  test('a truncated archive is refused and writes nothing', async () => {
    const whole = readFileSync(file('paper.pt'))
    for (const keep of [Math.floor(whole.length / 2), whole.length - 10]) {
      writeFileSync(file('cut.pt'), whole.subarray(0, keep))
      await expect(importTorchModel(file('cut.pt'), file('cut-out'))).rejects.toThrow(
        /cut\.pt: not a readable zip archive, truncated or damaged/
      )
      expect(existsSync(file('cut-out'))).toBe(false)
    }
  })

  test('the legacy format of torch < 1.6 is refused with what to do', () => {
    expect(() => read('paper-legacy.pt')).toThrow(
      /paper-legacy\.pt: a legacy torch\.save file .*re-save it with a current torch .* or as safetensors/
    )
  })
})

describe('restricted unpickler', () => {
  const refuseEverything: PickleResolver = {
    global: (module, name) => {
      throw new Error(`global ${module}.${name}`)
    },
    call: () => {
      throw new Error('call')
    },
    persistent: () => {
      throw new Error('persistent')
    },
    build: () => {
      throw new Error('build')
    }
  }

  // Protocol 2 is what torch.save writes; 4 adds FRAME, MEMOIZE, SHORT_BINUNICODE and BINBYTES.
  for (const protocol of [2, 4]) {
    test(`reads plain data as Python writes it with protocol ${protocol}`, () => {
      const bytes = protocol > 2 ? ', "c": b"\\x00\\x01"' : ''
      const pickled = execFileSync(
        python,
        [
          '-c',
          'import pickle, sys; sys.stdout.buffer.write(pickle.dumps(' +
            '{"a": [1, -2, 300, 70000, -(2**40), 2**70, 1.5, None, True, False], "b": ("x", ("y",), ()), ' +
            `"e": {}${bytes}}, protocol=int(sys.argv[1])))`,
          String(protocol)
        ],
        { encoding: 'buffer' }
      )
      const value = unpickle('p.pkl', pickled, refuseEverything) as Map<string, unknown>
      expect(value.get('a')).toEqual([1, -2, 300, 70000, -(2 ** 40), 2n ** 70n, 1.5, null, true, false])
      expect(value.get('b')).toEqual(['x', ['y'], []])
      expect(value.get('e')).toEqual(new Map())
      if (protocol > 2) expect(value.get('c')).toEqual(Buffer.from([0, 1]))
    })
  }

  test('an opcode outside a state_dict is refused by name, at its byte', () => {
    // Protocol 0 INST: "(i os\nsystem\n" would build an object by calling a class.
    const inst = Buffer.from('\x80\x02(ios\nsystem\n.', 'latin1')
    expect(() => unpickle('p.pkl', inst, refuseEverything)).toThrow(
      'p.pkl: pickle byte 3: opcode INST (0x69) is not allowed in a state_dict'
    )
  })

  test('a pickle without STOP, or popping past the stack, is refused', () => {
    expect(() => unpickle('p.pkl', Buffer.from([0x80, 0x02, 0x4b, 0x01]), refuseEverything)).toThrow(
      /ends without STOP/
    )
    expect(() => unpickle('p.pkl', Buffer.from([0x80, 0x02, 0x85, 0x2e]), refuseEverything)).toThrow(
      /pops an empty stack/
    )
  })

  test('a zip that is not a torch.save archive is refused', () => {
    const notTorch = Buffer.from('PK\u0003\u0004 some zip')
    expect(() => readTorchPt('z.pt', notTorch)).toThrow(/z\.pt: not a readable zip archive/)
  })
})
