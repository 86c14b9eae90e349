import { LATENT_HZ, latentAt, type LatentTrajectory } from './latent'
import type { Random } from './random'

/** What differs between people at rest. */
export interface Baseline {
  heartRateBpm: number
  breathingHz: number
  /** Peak-to-peak RSA swing of the heart rate, bpm. */
  rsaBpm: number
  skinConductanceUs: number
  skinTemperatureC: number
  pulseAmplitude: number
}

/** How strongly arousal shows in the body, and how much noise hides it (both set by --difficulty). */
export interface Coupling {
  /** 1 = the full planted effect, 0 = signals independent of arousal. */
  strength: number
  /** Multiplies every noise source. */
  noise: number
}

export interface Gesture {
  startS: number
  durationS: number
  frequencyHz: number
  /** Peak amplitude per axis, in 1/64 g. */
  amplitude: [number, number, number]
}

export interface Physiology {
  /** Exact beat times, s from the recording start. */
  beats: Float64Array
  bvp: Float32Array
  eda: Float32Array
  temp: Float32Array
  /** Interleaved x, y, z at 32 Hz. */
  acc: Float32Array
  /** 1 Hz from 10 s on, as the E4 computes it (mean rate of the beats of the last 10 s). */
  hr: Float32Array
  /** Detected beats (times, s) and the interval that ends at each. */
  ibiTimes: Float64Array
  ibiValues: Float32Array
}

export const RATES = { bvp: 64, eda: 4, temp: 4, acc: 32, hr: 1 } as const

/** Heart rate rises by this many bpm from neutral to fully aroused (at strength 1). */
export const HEART_RATE_PER_AROUSAL = 20
/** The tonic skin conductance rises by this many uS from neutral to fully aroused (at strength 1). */
export const EDA_PER_AROUSAL = 0.8
/** SCRs per minute at arousal -1 and +1 (at strength 1). */
export const SCR_RATE_PER_MINUTE = { low: 1, high: 10 }

export function drawBaseline(random: Random): Baseline {
  return {
    heartRateBpm: random.between(64, 76),
    breathingHz: random.between(0.2, 0.3),
    rsaBpm: random.between(4, 8),
    skinConductanceUs: Math.exp(random.normal(Math.log(2), 0.3)),
    skinTemperatureC: random.between(31.5, 34.5),
    pulseAmplitude: random.between(40, 90)
  }
}

/** Talking hands: a few gestures a minute at rest, more when the debate heats up. */
export function drawGestures(
  random: Random,
  latent: LatentTrajectory,
  durationS: number,
  debate: [number, number],
  coupling: Coupling
): Gesture[] {
  const gestures: Gesture[] = []
  let t = random.exponential(1 / 20)
  while (t < durationS) {
    const durationOfGesture = random.between(1, 4)
    gestures.push({
      startS: t,
      durationS: durationOfGesture,
      frequencyHz: random.between(0.8, 3),
      amplitude: [random.between(5, 35), random.between(5, 35), random.between(3, 20)]
    })
    const arousal = latentAt(latent.arousal, t)
    const inDebate = t >= debate[0] && t < debate[1]
    const perMinute = (inDebate ? 4 : 1.5) * (1 + 0.6 * coupling.strength * arousal)
    t += durationOfGesture + random.exponential(Math.max(0.3, perMinute) / 60)
  }
  return gestures
}

/** How much motion there is at each 1/32 s (0 idle, 1 inside a gesture), used for artifacts and missed beats. */
function motionEnvelope(gestures: Gesture[], durationS: number): Float32Array {
  const envelope = new Float32Array(Math.ceil(durationS * RATES.acc) + 1)
  for (const gesture of gestures) {
    const from = Math.floor(gesture.startS * RATES.acc)
    const to = Math.min(envelope.length, Math.ceil((gesture.startS + gesture.durationS) * RATES.acc))
    for (let k = from; k < to; k++) envelope[k] = 1
  }
  return envelope
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value
}

/**
 * One step of the slow wandering every signal has besides what arousal drives: a random walk pulled back to 0
 * with time constant `returnS` (an Ornstein-Uhlenbeck process), `scale` per square root of a second.
 */
function driftStep(
  random: Random,
  drift: number,
  dt: number,
  returnS: number,
  scale: number,
  noise: number
): number {
  return drift + ((-drift / returnS) * dt + scale * Math.sqrt(dt) * random.normal() * noise)
}

/** One step of a value that follows arousal with a lag of `lagS` seconds (tonic signals answer slowly). */
function lagStep(value: number, target: number, dt: number, lagS: number): number {
  return value + (target - value) * (dt / lagS)
}

/**
 * Beat times from an instantaneous heart rate: baseline + arousal + respiratory sinus arrhythmia + slow
 * drift, integrated as a phase, with a little beat-to-beat jitter.
 */
function beatTimes(
  random: Random,
  latent: LatentTrajectory,
  baseline: Baseline,
  coupling: Coupling,
  durationS: number
): Float64Array {
  const beats: number[] = []
  const dt = 1 / RATES.bvp
  let phase = random.uniform()
  let drift = 0
  let breathingPhase = random.uniform() * 2 * Math.PI
  for (let k = 0; k * dt < durationS; k++) {
    const t = k * dt
    const arousal = latentAt(latent.arousal, t)
    drift = driftStep(random, drift, dt, 120, 0.25, coupling.noise)
    breathingPhase += 2 * Math.PI * baseline.breathingHz * dt
    // RSA weakens as arousal (sympathetic tone) rises.
    const rsa =
      (baseline.rsaBpm / 2) * (1 - 0.4 * coupling.strength * Math.max(0, arousal)) * Math.sin(breathingPhase)
    const rate = clamp(
      baseline.heartRateBpm + HEART_RATE_PER_AROUSAL * coupling.strength * arousal + drift + rsa,
      55,
      110
    )
    const before = phase
    phase += (rate / 60) * dt
    if (Math.floor(phase) > Math.floor(before)) {
      const fraction = (Math.floor(phase) - before) / (phase - before)
      beats.push(t + fraction * dt + random.normal(0, 0.008 * coupling.noise))
    }
  }
  for (let i = 1; i < beats.length; i++) if (beats[i] <= beats[i - 1]) beats[i] = beats[i - 1] + 0.3
  return Float64Array.from(beats)
}

/** The pulse wave of one beat: a systolic peak and a smaller diastolic (reflected) wave; mean about zero. */
function pulseShape(phase: number): number {
  const systolic = Math.exp(-(((phase - 0.22) / 0.09) ** 2))
  const diastolic = 0.4 * Math.exp(-(((phase - 0.55) / 0.12) ** 2))
  return systolic + diastolic - 0.24
}

function bloodVolumePulse(
  random: Random,
  beats: Float64Array,
  latent: LatentTrajectory,
  baseline: Baseline,
  coupling: Coupling,
  motion: Float32Array,
  durationS: number
): Float32Array {
  const n = Math.floor(durationS * RATES.bvp)
  const bvp = new Float32Array(n)
  let beat = 0
  for (let k = 0; k < n; k++) {
    const t = k / RATES.bvp
    while (beat < beats.length - 1 && beats[beat + 1] <= t) beat++
    const start = beats[beat]
    const period = beat < beats.length - 1 ? beats[beat + 1] - start : 0.8
    const phase = t < start ? 0.9 : (t - start) / period
    // Arousal narrows the vessels: a smaller pulse.
    const amplitude = baseline.pulseAmplitude * (1 - 0.25 * coupling.strength * latentAt(latent.arousal, t))
    const artifact = motion[Math.floor(t * RATES.acc)] * random.normal(0, 40 * coupling.noise)
    const value = amplitude * pulseShape(phase) + random.normal(0, 2 * coupling.noise) + artifact
    bvp[k] = Math.round(value * 100) / 100
  }
  return bvp
}

/** E4 HR: at each second from 10 s on, the mean rate of the beats of the last 10 s. */
function heartRateSeries(beats: Float64Array, durationS: number): Float32Array {
  const values: number[] = []
  let first = 0
  let last = 0
  for (let t = 10; t <= durationS; t += 1) {
    while (last < beats.length && beats[last] <= t) last++
    while (first < last && beats[first] < t - 10) first++
    const count = last - first
    const bpm =
      count >= 2 ? (60 * (count - 1)) / (beats[last - 1] - beats[first]) : (values[values.length - 1] ?? 70)
    values.push(Math.round(bpm * 100) / 100)
  }
  return Float32Array.from(values)
}

/** The beats the E4 reports: misses some at rest and most during motion; an IBI needs two detected beats in a row. */
function interBeatIntervals(
  random: Random,
  beats: Float64Array,
  motion: Float32Array
): { times: Float64Array; values: Float32Array } {
  const times: number[] = []
  const values: number[] = []
  // The E4 reports beat times on its 64 Hz clock.
  const tick = (t: number) => Math.round(t * 64) / 64
  let previous: number | null = null
  for (const beat of beats) {
    const moving = motion[Math.min(motion.length - 1, Math.floor(beat * RATES.acc))] > 0
    const detected = random.chance(moving ? 0.1 : 0.85)
    if (detected && previous !== null) {
      times.push(tick(beat))
      values.push(tick(beat) - tick(previous))
    }
    previous = detected ? beat : null
  }
  return { times: Float64Array.from(times), values: Float32Array.from(values) }
}

const SCR_RISE_S = 0.75
const SCR_RECOVERY_S = 4
const SCR_PEAK_S =
  (Math.log(SCR_RECOVERY_S / SCR_RISE_S) * SCR_RECOVERY_S * SCR_RISE_S) / (SCR_RECOVERY_S - SCR_RISE_S)
const SCR_PEAK = Math.exp(-SCR_PEAK_S / SCR_RECOVERY_S) - Math.exp(-SCR_PEAK_S / SCR_RISE_S)

/** A skin conductance response (a Bateman function: quick rise, slow recovery), scaled to a peak of 1. */
function scrShape(seconds: number): number {
  if (seconds < 0) return 0
  return (Math.exp(-seconds / SCR_RECOVERY_S) - Math.exp(-seconds / SCR_RISE_S)) / SCR_PEAK
}

function electrodermalActivity(
  random: Random,
  latent: LatentTrajectory,
  baseline: Baseline,
  coupling: Coupling,
  durationS: number
): Float32Array {
  const n = Math.floor(durationS * RATES.eda)
  const eda = new Float64Array(n)
  const dt = 1 / RATES.eda
  let drift = 0
  let smoothedArousal = 0
  for (let k = 0; k < n; k++) {
    const t = k * dt
    const arousal = latentAt(latent.arousal, t)
    smoothedArousal = lagStep(smoothedArousal, arousal, dt, 10)
    drift = driftStep(random, drift, dt, 300, 0.01, coupling.noise)
    // The tonic level rises with arousal by the same amount in everyone (EDA_PER_AROUSAL uS per unit).
    eda[k] = baseline.skinConductanceUs * (1 + drift) + EDA_PER_AROUSAL * coupling.strength * smoothedArousal
  }
  // SCRs: a Poisson process whose rate and amplitude follow arousal (thinning of a fast process).
  const maxPerS = SCR_RATE_PER_MINUTE.high / 60
  for (let t = random.exponential(maxPerS); t < durationS; t += random.exponential(maxPerS)) {
    const arousal = latentAt(latent.arousal, t)
    const drive = (coupling.strength * (arousal + 1)) / 2 + (1 - coupling.strength) * 0.5
    const perMinute = SCR_RATE_PER_MINUTE.low + (SCR_RATE_PER_MINUTE.high - SCR_RATE_PER_MINUTE.low) * drive
    if (!random.chance(perMinute / SCR_RATE_PER_MINUTE.high)) continue
    const amplitude = baseline.skinConductanceUs * 0.08 * (0.5 + drive) * Math.exp(random.normal(0, 0.4))
    const from = Math.ceil(t * RATES.eda)
    const to = Math.min(n, from + 30 * RATES.eda)
    for (let k = from; k < to; k++) eda[k] += amplitude * scrShape(k * dt - t)
  }
  const out = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    const value = Math.max(0.01, eda[k] + random.normal(0, 0.003 * coupling.noise))
    out[k] = Math.round(value * 1e6) / 1e6
  }
  return out
}

function skinTemperature(
  random: Random,
  latent: LatentTrajectory,
  baseline: Baseline,
  coupling: Coupling,
  durationS: number
): Float32Array {
  const n = Math.floor(durationS * RATES.temp)
  const temp = new Float32Array(n)
  const dt = 1 / RATES.temp
  let drift = 0
  let smoothedArousal = 0
  for (let k = 0; k < n; k++) {
    const t = k * dt
    smoothedArousal = lagStep(smoothedArousal, latentAt(latent.arousal, t), dt, 90)
    drift = driftStep(random, drift, dt, 600, 0.004, coupling.noise)
    // Weak: peripheral vasoconstriction cools the wrist by a few tenths of a degree.
    const value =
      baseline.skinTemperatureC +
      drift -
      0.3 * coupling.strength * smoothedArousal +
      random.normal(0, 0.02 * coupling.noise)
    temp[k] = Math.round(value * 100) / 100
  }
  return temp
}

function acceleration(random: Random, gestures: Gesture[], durationS: number): Float32Array {
  const n = Math.floor(durationS * RATES.acc)
  const acc = new Float32Array(n * 3)
  // Resting posture: gravity (64 = 1 g) along a wrist direction that changes after each gesture.
  const posture = () => {
    const tilt = random.between(0, 0.9)
    const turn = random.between(0, 2 * Math.PI)
    return [64 * Math.sin(tilt) * Math.cos(turn), 64 * Math.sin(tilt) * Math.sin(turn), 64 * Math.cos(tilt)]
  }
  let gravity = posture()
  let next = 0
  for (let k = 0; k < n; k++) {
    const t = k / RATES.acc
    while (next < gestures.length && gestures[next].startS + gestures[next].durationS < t) {
      next++
      gravity = posture()
    }
    const gesture = gestures[next]
    const active = gesture !== undefined && t >= gesture.startS
    for (let axis = 0; axis < 3; axis++) {
      let value = gravity[axis] + random.normal(0, 0.7)
      if (active) {
        const phase = 2 * Math.PI * gesture.frequencyHz * (t - gesture.startS)
        value += gesture.amplitude[axis] * Math.sin(phase + axis)
      }
      acc[k * 3 + axis] = clamp(Math.round(value), -128, 127)
    }
  }
  return acc
}

/** Every signal of one participant's recording, driven by its latent trajectory. */
export function simulatePhysiology(
  random: Random,
  latent: LatentTrajectory,
  baseline: Baseline,
  coupling: Coupling,
  durationS: number,
  debate: [number, number]
): Physiology {
  const gestures = drawGestures(random.fork('gestures'), latent, durationS, debate, coupling)
  const motion = motionEnvelope(gestures, durationS)
  const beats = beatTimes(random.fork('beats'), latent, baseline, coupling, durationS)
  const ibi = interBeatIntervals(random.fork('ibi'), beats, motion)
  return {
    beats,
    bvp: bloodVolumePulse(random.fork('bvp'), beats, latent, baseline, coupling, motion, durationS),
    eda: electrodermalActivity(random.fork('eda'), latent, baseline, coupling, durationS),
    temp: skinTemperature(random.fork('temp'), latent, baseline, coupling, durationS),
    acc: acceleration(random.fork('acc'), gestures, durationS),
    hr: heartRateSeries(beats, durationS),
    ibiTimes: ibi.times,
    ibiValues: ibi.values
  }
}

export { LATENT_HZ }
