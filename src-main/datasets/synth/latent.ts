import type { Random } from './random'

/** The latent state is computed on a 4 Hz grid; every signal and rating reads it from there. */
export const LATENT_HZ = 4

/** The debate itself raises arousal a little; its events do the rest. */
const DEBATE_AROUSAL_RISE = 0.1

/** A moment in the debate that stirs the participant: arousal jumps, valence moves either way, both decay. */
export interface LatentEvent {
  timeS: number
  arousalKick: number
  valenceKick: number
  decayS: number
}

export interface LatentTrajectory {
  /** Arousal and valence in about -1..1 (0 = neutral), one value per 1/LATENT_HZ s from the recording start. */
  arousal: Float32Array
  valence: Float32Array
}

export interface LatentOptions {
  durationS: number
  debateStartS: number
  debateEndS: number
  /** The participant's resting level (arousal, valence) before the debate. */
  restingArousal: number
  restingValence: number
  /** Events shared with the partner (heated exchanges) plus the participant's own. */
  events: LatentEvent[]
}

/** Events of a debate: a Poisson process of about one every 45 s. */
export function debateEvents(
  random: Random,
  debateStartS: number,
  debateEndS: number,
  ratePerS = 1 / 45
): LatentEvent[] {
  const events: LatentEvent[] = []
  for (
    let t = debateStartS + random.exponential(ratePerS);
    t < debateEndS;
    t += random.exponential(ratePerS)
  ) {
    events.push({
      timeS: t,
      arousalKick: random.normal(0.5, 0.3),
      valenceKick: random.normal(0, 0.5),
      decayS: random.between(15, 45)
    })
  }
  return events
}

/**
 * A slow random walk (an Ornstein-Uhlenbeck process, time constant about a minute) around a level that
 * rises when the debate starts, plus the events; squashed by tanh into -1..1.
 */
export function latentTrajectory(random: Random, options: LatentOptions): LatentTrajectory {
  const steps = Math.ceil(options.durationS * LATENT_HZ) + 1
  const dt = 1 / LATENT_HZ
  const arousal = new Float32Array(steps)
  const valence = new Float32Array(steps)
  const reversionPerS = 1 / 60
  // Stationary SD of an OU process is sigma / sqrt(2 * reversion): sigma chosen for an SD of about 0.4.
  const sigmaArousal = 0.4 * Math.sqrt(2 * reversionPerS)
  const sigmaValence = 0.35 * Math.sqrt(2 * reversionPerS)
  let walkArousal = random.normal(0, 0.3)
  let walkValence = random.normal(0, 0.3)
  let kickArousal = 0
  let kickValence = 0
  const events = [...options.events].sort((a, b) => a.timeS - b.timeS)
  let nextEvent = 0
  let decayS = 30
  for (let k = 0; k < steps; k++) {
    const t = k * dt
    const inDebate = t >= options.debateStartS && t < options.debateEndS
    const level = options.restingArousal + (inDebate ? DEBATE_AROUSAL_RISE : 0)
    walkArousal += reversionPerS * (0 - walkArousal) * dt + sigmaArousal * Math.sqrt(dt) * random.normal()
    walkValence += reversionPerS * (0 - walkValence) * dt + sigmaValence * Math.sqrt(dt) * random.normal()
    while (nextEvent < events.length && events[nextEvent].timeS <= t) {
      kickArousal += events[nextEvent].arousalKick
      kickValence += events[nextEvent].valenceKick
      decayS = events[nextEvent].decayS
      nextEvent++
    }
    kickArousal *= Math.exp(-dt / decayS)
    kickValence *= Math.exp(-dt / decayS)
    arousal[k] = Math.tanh(level + walkArousal + kickArousal)
    valence[k] = Math.tanh(options.restingValence + walkValence + kickValence)
  }
  return { arousal, valence }
}

/** The latent value at time t (s from the recording start), held between grid points. */
export function latentAt(series: Float32Array, timeS: number): number {
  const index = Math.min(series.length - 1, Math.max(0, Math.floor(timeS * LATENT_HZ)))
  return series[index]
}

/** Mean of the latent over [fromS, toS). */
export function latentMean(series: Float32Array, fromS: number, toS: number): number {
  const from = Math.max(0, Math.floor(fromS * LATENT_HZ))
  const to = Math.min(series.length, Math.max(from + 1, Math.floor(toS * LATENT_HZ)))
  let sum = 0
  for (let k = from; k < to; k++) sum += series[k]
  return sum / (to - from)
}
