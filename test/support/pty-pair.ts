import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Why pty tests cannot run here, or null when socat is present. */
export function ptyUnavailableReason(): string | null {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' })
  return probe.error || probe.status !== 0 ? 'socat is not installed (apt-get install socat)' : null
}

/**
 * A virtual null-modem cable: socat joins two pseudo-terminals, `appPath` for the app's real serialport and
 * `devicePath` for an emulated device. The paths are symlinks that stay the same across stop() and start(),
 * so stopping socat is an unplugged cable and starting it again is the cable plugged back in.
 */
export class PtyPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'emoheal-pty-'))
  readonly appPath = join(this.dir, 'ttyApp')
  readonly devicePath = join(this.dir, 'ttyDevice')
  private socat: ChildProcess | null = null

  async start(): Promise<void> {
    if (this.socat) return
    const child = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.appPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
    this.socat = child
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const deadline = Date.now() + 5000
    while (!stderr.includes('starting data transfer loop')) {
      if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr}`)
      if (Date.now() > deadline) throw new Error(`socat did not start within 5 s: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    if (!existsSync(this.appPath) || !existsSync(this.devicePath))
      throw new Error(`socat started but the pty links are missing: ${stderr}`)
  }

  /** Ends socat: both ends see the cable go. */
  async stop(): Promise<void> {
    const child = this.socat
    if (!child) return
    this.socat = null
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
    }
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
