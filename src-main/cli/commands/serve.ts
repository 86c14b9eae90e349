import { join } from 'node:path'
import { createApp } from '../../app-setup'
import { startServer } from '../../serve/server'
import { runServiceOf } from '../../engine/handlers'
import { integerOption, stringOption, type CliCommand } from '../command'

export const serveCommand: CliCommand = {
  path: ['serve'],
  summary: 'serve the workstation to a browser on this machine (token-protected, loopback only)',
  usage: 'serve [--study FILE] [--port N] [--host ADDRESS]',
  options: { port: { type: 'string' }, host: { type: 'string' }, 'renderer-dir': { type: 'string' } },
  async run(input) {
    const host = stringOption(input.values, 'host')
    const { context, services, handlers } = createApp({
      transport: 'serve',
      studyPath: stringOption(input.values, 'study')
    })
    const server = await startServer(context, handlers, {
      rendererDir: stringOption(input.values, 'renderer-dir') ?? join(__dirname, '..', 'renderer'),
      host: host ?? '127.0.0.1',
      port: integerOption(input.values, 'port', 0),
      // Naming a host on the command line is the explicit consent to listen beyond loopback.
      allowNonLoopback: host !== undefined
    })
    const announce = { url: server.url, study: context.study().path }
    if (input.json) process.stdout.write(`${JSON.stringify(announce)}\n`)
    else
      process.stdout.write(
        `EmoHeal Workstation is served at ${server.url}\nstudy: ${announce.study}\nPress Ctrl+C to stop.\n`
      )
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    // A recording is stopped cleanly (its last samples committed, the session marked complete) before exit.
    await services.recording.stop()
    await runServiceOf(context).stopAll()
    await services.signals.close()
    await server.close()
    context.close()
    return { stopped: true }
  },
  format: () => 'stopped'
}
