import { commands } from './commands/index'
import { parseCommandArgs, type CliCommand } from './command'
import { serializeError } from '../errors'

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: { command: CliCommand; rest: string[] } | undefined
  for (const command of commands) {
    const n = command.path.length
    if (argv.length >= n && command.path.every((word, i) => argv[i] === word)) {
      if (!best || n > best.command.path.length) best = { command, rest: argv.slice(n) }
    }
  }
  return best
}

function usage(): string {
  const lines = commands.map((c) => `  emoheal ${c.usage}\n      ${c.summary}`)
  return [
    'EmoHeal Workstation command line',
    '',
    'Usage:',
    ...lines,
    '',
    'Every command takes --study FILE and --json.'
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage())
    return argv.length === 0 ? 1 : 0
  }
  const found = findCommand(argv)
  const json = argv.includes('--json')
  if (!found) {
    const message = `unknown command "${argv.slice(0, 2).join(' ')}"; run "emoheal --help" for the list`
    if (json) console.log(JSON.stringify({ ok: false, error: { name: 'UsageError', message } }))
    else console.error(`emoheal: ${message}`)
    return 2
  }
  const { command, rest } = found
  try {
    const { values, positionals } = parseCommandArgs(command, rest)
    if (values.help) {
      console.log(`emoheal ${command.usage}\n\n${command.summary}`)
      return 0
    }
    const result = await command.run({
      values,
      positionals,
      json,
      progress: (line) => process.stderr.write(`${line}\n`)
    })
    if (json) console.log(JSON.stringify(result, null, 2))
    else if (command.format) console.log(command.format(result))
    else console.log(typeof result === 'string' ? result : JSON.stringify(result, null, 2))
    return 0
  } catch (error) {
    const serialized = serializeError(error)
    if (json) console.log(JSON.stringify({ ok: false, error: serialized }))
    // One line, always: scripts read the reason from stderr.
    console.error(`emoheal ${command.path.join(' ')}: ${serialized.message.split('\n')[0]}`)
    return 1
  }
}

// Only run when executed as the bin, not when a test imports main().
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error) => {
      console.error(`emoheal: ${String(error)}`)
      process.exitCode = 1
    }
  )
}
