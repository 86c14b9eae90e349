import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ValidationError } from '../../errors'
import type { SynthSummary } from '../../ipc/contract/datasets'
import { E4_STREAMS, type E4StreamKind } from '../e4-streams'
import { ANNOTATION_COLUMNS } from '../kemocon/annotations'
import { writeKemoconLayout, type KemoconParticipantFiles } from '../kemocon/kemocon-writer'
import { debateEvents, latentTrajectory, type LatentEvent } from './latent'
import { drawBaseline, RATES, simulatePhysiology, type Coupling, type Physiology } from './physiology'
import { Random } from './random'
import { aggregateRatings, rateDebate, type AnnotationRow, type Rater } from './ratings'

export interface SynthOptions {
  out: string
  participants: number
  /** Length of each debate. */
  minutes: number
  seed: number
  /** 'easy' | 'medium' | 'hard', or a number from 0 (easiest) to 1 (hardest). */
  difficulty?: string | number
  /** How long the wristband records before the debate (each participant a little more or less). */
  leadMinutes?: number
  /** How long it records after the debate. */
  tailMinutes?: number
}

const DIFFICULTY_NAMES: Record<string, number> = { easy: 0.2, medium: 0.5, hard: 0.8 }
const EXTERNAL_RATERS = 5
/** The first debate starts here (10:00 in Seoul, like K-EmoCon's recordings in 2019); one pair a day after that. */
const FIRST_DEBATE_MS = Date.UTC(2019, 0, 7, 1, 0, 0)
const DAY_MS = 86_400_000

export function parseDifficulty(value: string | number | undefined): number {
  if (value === undefined) return DIFFICULTY_NAMES.medium
  if (typeof value === 'string' && value in DIFFICULTY_NAMES) return DIFFICULTY_NAMES[value]
  const number = Number(value)
  if (!Number.isFinite(number) || number < 0 || number > 1) {
    throw new ValidationError(
      `difficulty must be easy, medium, hard or a number from 0 to 1, got "${value}"`,
      'difficulty'
    )
  }
  return number
}

/** Difficulty d in 0..1: the planted arousal effect fades (1.2 - d) while every noise grows (0.5 + d). */
export function couplingFor(difficulty: number): Coupling {
  return { strength: 1.2 - difficulty, noise: 0.5 + difficulty }
}

function stream(
  kind: E4StreamKind,
  startMs: number,
  values: Float32Array
): KemoconParticipantFiles['streams'][number] {
  const channels = kind.channels.length
  const n = values.length / channels
  const times = new Float64Array(n)
  for (let k = 0; k < n; k++) times[k] = startMs + Math.round((k * 1000) / kind.rateHz)
  return { kind, times, samples: values }
}

function e4Streams(physiology: Physiology, startMs: number): KemoconParticipantFiles['streams'] {
  const kind = (name: string) => E4_STREAMS.find((k) => k.name === name)!
  const hrTimes = Float64Array.from(physiology.hr, (_, k) => startMs + (10 + k) * 1000)
  const ibiTimes = Float64Array.from(physiology.ibiTimes, (t) => startMs + Math.round(t * 1000))
  return [
    stream(kind('acc'), startMs, physiology.acc),
    stream(kind('bvp'), startMs, physiology.bvp),
    stream(kind('eda'), startMs, physiology.eda),
    { kind: kind('hr'), times: hrTimes, samples: physiology.hr },
    { kind: kind('ibi'), times: ibiTimes, samples: physiology.ibiValues },
    stream(kind('temp'), startMs, physiology.temp)
  ]
}

/** Refuses to write into a folder holding anything but an earlier K-EmoCon copy, whose three folders it replaces. */
function clearOutput(out: string): void {
  if (!existsSync(out)) return
  if (!statSync(out).isDirectory())
    throw new ValidationError(`${out} is a file: choose an empty or new folder`, 'out')
  const entries = readdirSync(out)
  if (entries.length === 0) return
  if (!existsSync(join(out, 'metadata', 'subjects.csv'))) {
    throw new ValidationError(
      `${out} is not empty and holds no K-EmoCon copy: choose an empty or new folder`,
      'out'
    )
  }
  for (const folder of ['metadata', 'e4_data', 'emotion_annotations'])
    rmSync(join(out, folder), { recursive: true, force: true })
}

function deviceSerial(random: Random): string {
  return `A0${random.integer(0x1000, 0xffff).toString(16).toUpperCase()}`
}

/**
 * Writes a synthetic study in the exact K-EmoCon layout. Pairs (1,2), (3,4), ... debate together and
 * share some of their debate's events; each wristband starts a few minutes before the debate.
 */
export function synthesizeKemocon(options: SynthOptions): SynthSummary {
  if (!Number.isInteger(options.participants) || options.participants < 1 || options.participants > 200) {
    throw new ValidationError('participants must be an integer from 1 to 200', 'participants')
  }
  if (!(options.minutes > 0) || options.minutes > 120)
    throw new ValidationError('minutes must be from 0 to 120', 'minutes')
  if (!Number.isInteger(options.seed)) throw new ValidationError('seed must be an integer', 'seed')
  const difficulty = parseDifficulty(options.difficulty)
  const coupling = couplingFor(difficulty)
  const leadS = (options.leadMinutes ?? 3) * 60
  const tailS = (options.tailMinutes ?? 1) * 60
  const debateS = Math.round(options.minutes * 60)
  const root = new Random(options.seed)
  const externalRaters: Rater[] = Array.from({ length: EXTERNAL_RATERS }, () => ({
    bias: root.normal(0, 0.35),
    noise: 0.6 * coupling.noise
  }))

  const files: KemoconParticipantFiles[] = []
  const recordingMinutes: number[] = []
  for (let first = 1; first <= options.participants; first += 2) {
    const pair = Math.floor((first - 1) / 2)
    const pairRandom = root.fork(`pair ${pair}`)
    const debateStartMs = FIRST_DEBATE_MS + pair * DAY_MS + Math.round(pairRandom.between(0, 6 * 3600)) * 1000
    const members = first + 1 <= options.participants ? [first, first + 1] : [first]
    const people = members.map((pid) => {
      const random = root.fork(`participant ${pid}`)
      const lead = Math.max(10, Math.round(leadS + random.between(-0.25, 0.25) * Math.min(leadS, 120)))
      return {
        pid,
        random,
        leadS: lead,
        durationS: lead + debateS + tailS,
        baseline: drawBaseline(random.fork('baseline')),
        restingArousal: random.normal(-0.35, 0.2),
        restingValence: random.normal(0.1, 0.3),
        selfRater: { bias: random.normal(0, 0.4), noise: 0.5 * coupling.noise },
        partnerRater: { bias: random.normal(0, 0.5), noise: 0.7 * coupling.noise }
      }
    })
    const shared: LatentEvent[] = debateEvents(pairRandom.fork('events'), 0, debateS, 1 / 90)
    const latents = people.map((person) => {
      const own = debateEvents(person.random.fork('events'), person.leadS, person.leadS + debateS, 1 / 90)
      const felt = shared
        .filter(() => person.random.chance(0.7))
        .map((event) => ({ ...event, timeS: event.timeS + person.leadS }))
      return latentTrajectory(person.random.fork('latent'), {
        durationS: person.durationS,
        debateStartS: person.leadS,
        debateEndS: person.leadS + debateS,
        restingArousal: person.restingArousal,
        restingValence: person.restingValence,
        events: [...own, ...felt]
      })
    })
    people.forEach((person, index) => {
      const latent = latents[index]
      const startMs = debateStartMs - person.leadS * 1000
      const physiology = simulatePhysiology(
        person.random.fork('physiology'),
        latent,
        person.baseline,
        coupling,
        person.durationS,
        [person.leadS, person.leadS + debateS]
      )
      const ratings = person.random.fork('ratings')
      const rate = (rater: Rater) => rateDebate(ratings, latent, person.leadS, debateS, rater)
      const external = externalRaters.map(rate)
      const annotations: KemoconParticipantFiles['annotations'] = [
        { tag: 'self', columns: ANNOTATION_COLUMNS, rows: rate(person.selfRater) },
        ...external.map((rows, k) => ({ tag: `R${k + 1}` as const, columns: ANNOTATION_COLUMNS, rows })),
        { tag: 'external', columns: ANNOTATION_COLUMNS, rows: aggregateRatings(external) }
      ]
      const partner = people[1 - index]
      if (partner)
        annotations.splice(1, 0, {
          tag: 'partner',
          columns: ANNOTATION_COLUMNS,
          rows: rate(partner.partnerRater)
        })
      files.push({
        pid: String(person.pid),
        initMs: startMs,
        startMs: debateStartMs,
        endMs: debateStartMs + debateS * 1000,
        deviceSerial: deviceSerial(person.random.fork('serial')),
        streams: e4Streams(physiology, startMs),
        annotations
      })
      recordingMinutes.push(Math.round((person.durationS / 60) * 100) / 100)
    })
  }
  clearOutput(options.out)
  writeKemoconLayout(options.out, files)
  return {
    out: options.out,
    participants: options.participants,
    debateMinutes: options.minutes,
    recordingMinutes,
    seed: options.seed,
    difficulty,
    coupling,
    externalRaters: EXTERNAL_RATERS
  }
}

export type { AnnotationRow, SynthSummary }
export { RATES }
