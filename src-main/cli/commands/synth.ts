import { synthesizeKemocon, type SynthSummary } from '../../datasets/synth/synthesize'
import { integerOption, numberOption, requireString, stringOption, type CliCommand } from '../command'

export const synthCommand: CliCommand = {
  path: ['synth'],
  summary:
    'Write a synthetic study in the K-EmoCon layout (signals driven by a planted arousal/valence trajectory)',
  usage:
    'synth --out DIR [--participants N] [--minutes M] [--seed S] [--difficulty easy|medium|hard|0..1] [--lead-minutes L] [--json]',
  options: {
    out: { type: 'string' },
    participants: { type: 'string' },
    minutes: { type: 'string' },
    seed: { type: 'string' },
    difficulty: { type: 'string' },
    'lead-minutes': { type: 'string' },
    'tail-minutes': { type: 'string' }
  },
  run: async (input) =>
    synthesizeKemocon({
      out: requireString(input.values, 'out'),
      participants: integerOption(input.values, 'participants', 4)!,
      minutes: numberOption(input.values, 'minutes', 10)!,
      seed: integerOption(input.values, 'seed', 1)!,
      difficulty: stringOption(input.values, 'difficulty'),
      leadMinutes: numberOption(input.values, 'lead-minutes'),
      tailMinutes: numberOption(input.values, 'tail-minutes')
    }),
  format: (result) => {
    const summary = result as SynthSummary
    return (
      `Wrote ${summary.participants} participants (${summary.debateMinutes}-min debates, recordings of ` +
      `${Math.min(...summary.recordingMinutes)}-${Math.max(...summary.recordingMinutes)} min) to ${summary.out}; ` +
      `seed ${summary.seed}, difficulty ${summary.difficulty} (coupling ${summary.coupling.strength.toFixed(2)}, noise x${summary.coupling.noise.toFixed(2)})`
    )
  }
}
