import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { temporaryFolder } from './edf-fixture'

const MNE_SCRIPT = resolve(__dirname, 'read-edf-mne.py')

/** A python that imports MNE: Debian's python3-mne lives in /usr/bin/python3, which pyenv shims may hide. */
function findMnePython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import mne'], { encoding: 'utf8' })
    if (probe.status === 0) return python
  }
  return null
}

const mnePython = findMnePython()
export const mneMissing = mnePython
  ? null
  : 'python3 cannot import mne (apt-get install python3-mne): MNE checks skipped'
export const biosigMissing =
  spawnSync('save2gdf', ['-v'], { encoding: 'utf8' }).error === undefined
    ? null
    : 'save2gdf is missing (apt-get install biosig-tools): biosig checks skipped'
if (mneMissing) console.warn(mneMissing)
if (biosigMissing) console.warn(biosigMissing)

export interface MneReading {
  mne: string
  measDate: string | null
  channels: Record<string, { sfreq: number; unit: string; data: number[] }>
  annotations: { onset: number; duration: number; description: string }[]
}

export function readWithMne(file: string): MneReading {
  const run = spawnSync(mnePython!, [MNE_SCRIPT, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (run.status !== 0) throw new Error(`MNE could not read ${file}: ${run.stderr}`)
  return JSON.parse(run.stdout) as MneReading
}

export interface BiosigReading {
  header: Record<string, string>
  channels: { label: string; unit: string; rateHz: number; samples: number; values: number[] }[]
  events: { type: string; positionS: number; durationS: number; description: string }[]
}

/** `key = value # comment` lines of one section of biosig's ASCII header. */
function fieldsOf(lines: string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of lines) {
    const match = /^([^=#]+?)\s*=\s*(.*?)\s*(#.*)?$/.exec(line)
    if (match) fields[match[1].trim()] = match[2].trim()
  }
  return fields
}

/**
 * Converts with `save2gdf -f=ASCII`: biosig decodes the file itself and writes a header, one text file of physical
 * values per channel (6 significant digits) and an event table.
 */
export function readWithBiosig(file: string): BiosigReading {
  const folder = join(temporaryFolder(), 'ascii')
  mkdirSync(folder)
  const target = join(folder, basename(file).replace(/\.\w+$/, ''))
  const run = spawnSync('save2gdf', ['-f=ASCII', file, target], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`save2gdf could not convert ${file}: ${run.stderr}${run.stdout}`)
  const text = readFileSync(target, 'utf8')
  const [headerText, eventText = ''] = text.split('[EVENT TABLE]')
  const sections = headerText.split(/^\[Header \d\]$/m)
  const header = fieldsOf(sections[1].split('\n'))
  const channels = sections[2]
    .split(/\n\s*\n/)
    .map((block) => fieldsOf(block.split('\n')))
    .filter((fields) => fields.Filename)
    .map((fields) => ({
      label: fields.Label,
      unit: fields.PhysicalUnits,
      rateHz: Number(fields.SamplingRate),
      samples: Number(fields.NumberOfSamples),
      values: readFileSync(
        fields.Filename.startsWith('/') ? fields.Filename : join(folder, basename(fields.Filename)),
        'utf8'
      )
        .trim()
        .split('\n')
        .map(Number)
    }))
  const events = eventText
    .split('\n')
    .filter((line) => /^0x/.test(line))
    .map((line) => {
      const [type, position, duration, , ...description] = line.split('\t')
      return {
        type,
        positionS: Number(position),
        durationS: Number(duration),
        description: description.join('\t')
      }
    })
  return { header, channels, events }
}

/** `save2gdf -JSON`: for EDF+D biosig lists each data record's start (from its time-keeping TAL) as a segment event. */
export function biosigJson(file: string): {
  StartOfRecording: string
  EVENT: { TYP: string; POS: number; DUR: number; TimeStamp: string; Description: string }[]
} {
  const run = spawnSync('save2gdf', ['-JSON', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (run.status !== 0) throw new Error(`save2gdf -JSON could not read ${file}: ${run.stderr}`)
  return JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as ReturnType<typeof biosigJson>
}

/** Epoch ms of biosig's "YYYY-MM-DD hh:mm:ss.uuuuuu" (UTC here), keeping the microseconds Date.parse would cut. */
export function biosigTimeMs(text: string): number {
  const [whole, fraction = '0'] = text.split('.')
  return Date.parse(`${whole.replace(' ', 'T')}Z`) + Number(`0.${fraction}`) * 1000
}
