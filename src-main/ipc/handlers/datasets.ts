import type { datasetCalls } from '../contract/datasets'
import type { HandlerMap } from '../handler'
import { EmohealError, ValidationError } from '../../errors'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportSessionEdf } from '../../export/edf'
import { exportKemocon } from '../../export/kemocon-export'
import { createDemoStudy } from '../../datasets/demo-study'
import { importDataset } from '../../datasets/import-service'
import { synthesizeKemocon } from '../../datasets/synth/synthesize'

/**
 * Runs a call that writes files under a path the caller chose, turning what the file system refuses (a
 * file where a folder should be, no permission, a full disk) into a ValidationError naming that field.
 */
function writingTo<T>(field: string, path: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (error instanceof EmohealError || typeof code !== 'string') throw error
    throw new ValidationError(`${path}: cannot write there (${code})`, field)
  }
}

export const datasetHandlers: HandlerMap<keyof typeof datasetCalls> = {
  'datasets.import': (request, context) => {
    const report = importDataset(context.study(), request, (line) =>
      context.emit('task.progress', {
        taskId: `import:${request.path}`,
        kind: 'import',
        message: line,
        fraction: null
      })
    )
    context.emit('study.changed', { path: context.study().path })
    return report
  },
  'datasets.synth': (options) => writingTo('out', options.out, () => synthesizeKemocon(options)),
  'datasets.demo': ({ path }, context) => {
    const created = writingTo('path', path, () =>
      createDemoStudy(path, { nativeBinding: context.options.sqliteBinding })
    )
    context.openStudy(path)
    return created
  },
  'datasets.exportKemocon': ({ out }, context) => {
    const study = context.study()
    return writingTo('out', out, () => exportKemocon(study, out))
  },
  'datasets.exportSessionEdf': async ({ sessionId, format }, context) => {
    const study = context.study()
    const session = study.getSession(sessionId)
    // The exporter writes atomically to a path; a private temporary folder serves as that path here.
    const folder = await mkdtemp(join(tmpdir(), 'emoheal-edf-'))
    try {
      const file = join(folder, `session.${format}`)
      const summary = await exportSessionEdf(study, sessionId, file, { format })
      const bytes = await readFile(file)
      const safeName = `${session.participantCode}-${session.name}`
        .replace(/[^A-Za-z0-9_.-]+/g, '_')
        .slice(0, 80)
      return {
        fileName: `${safeName || `session-${sessionId}`}.${format}`,
        bytes: bytes.length,
        base64: bytes.toString('base64'),
        fileType: summary.fileType
      }
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }
}
