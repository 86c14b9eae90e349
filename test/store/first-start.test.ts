import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src-main/app-setup'
import { tempDir } from '../e2e/harness'

describe('first start', () => {
  it('opens a synthetic demo study when the default study does not exist yet, and keeps it on the next start', () => {
    const defaultStudyPath = join(tempDir('emoheal-first-'), 'studies', 'default.emoheal-study')
    const first = createApp({ transport: 'serve', defaultStudyPath })
    expect(first.firstStart).toBe(true)
    const sessions = first.context.study().listSessions()
    expect(sessions.length).toBeGreaterThanOrEqual(2)
    expect(sessions[0].streams.map((s) => s.name).sort()).toEqual(['acc', 'bvp', 'eda', 'hr', 'ibi', 'temp'])
    first.context.close()

    const again = createApp({ transport: 'serve', defaultStudyPath })
    expect(again.firstStart).toBe(false)
    expect(again.context.study().listSessions()).toHaveLength(sessions.length)
    again.context.close()
  })

  it('starts an explicitly named new study empty', () => {
    const studyPath = join(tempDir('emoheal-first-'), 'lab.emoheal-study')
    const app = createApp({
      transport: 'serve',
      studyPath,
      defaultStudyPath: join(tempDir('emoheal-first-'), 'd.emoheal-study')
    })
    expect(app.context.study().info()).toMatchObject({ name: 'My first study', participantCount: 0 })
    app.context.close()
  })
})
