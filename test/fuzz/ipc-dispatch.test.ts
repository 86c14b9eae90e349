import fc from 'fast-check'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppContext } from '../../src-main/app-context'
import { calls, callNames, type CallName } from '../../src-main/ipc/contract'
import { dispatch, type AllHandlers } from '../../src-main/ipc/dispatch'
import { createHandlers } from '../../src-main/ipc/handlers/create-handlers'
import { createServices } from '../../src-main/services/app-services'
import { tempDir } from '../e2e/harness'
import { FIXTURES } from '../datasets/study-helpers'
import { fuzzParameters, tally } from './fuzz-support'

/**
 * Every call of the contract, fed generated arguments through the one dispatcher against a real study:
 * each must end in { ok: true } or { ok: false, error: { name } }, never a throw, a hang or an unhandled
 * rejection. Arguments are partly arbitrary JSON (or doubles, as structured clone carries NaN), partly
 * shaped after the call's schema so that they get past validation and into the handler.
 */

/**
 * Calls that start long-running work or devices get only arguments their schema refuses: training,
 * recording, live inference, prediction over a session, a torch import, and choosing the engine backend
 * (which loads TensorFlow).
 */
const INVALID_ONLY = new Set<CallName>([
  'train.start',
  'record.start',
  'live.start',
  'predict.session',
  'models.importTorch',
  'app.backends'
])

/** Calls that switch or create a whole study, or write many files: fewer cases, each slower. */
const FEWER = new Set<CallName>(['datasets.demo', 'datasets.synth', 'study.create', 'datasets.exportKemocon'])

/** The errors a handler may end in; "InternalError" means an exception no code meant to throw. */
const NAMED = new Set([
  'ValidationError',
  'FileFormatError',
  'NotFoundError',
  'StudyFileError',
  'ConflictError',
  'CancelledError',
  'EmohealError'
])

const CASE_TIMEOUT_MS = 10_000

const root = tempDir('emoheal-ipc-fuzz-')
const sandbox = join(root, 'sandbox')
const pristine = join(root, 'pristine.emoheal-study')
const working = join(root, 'working.emoheal-study')
const context = new AppContext({
  defaultStudyPath: join(root, 'default.emoheal-study'),
  transport: 'serve',
  version: 'fuzz'
})
let handlers: AllHandlers
const rejections: unknown[] = []
const onRejection = (reason: unknown) => rejections.push(reason)

beforeAll(async () => {
  mkdirSync(sandbox, { recursive: true })
  process.on('unhandledRejection', onRejection)
  handlers = createHandlers(createServices(context))
  context.openStudy(pristine, true, 'IPC fuzz')
  for (const request of [
    { kind: 'kemocon', path: join(FIXTURES, 'kemocon-quirks') },
    { kind: 'e4', path: join(FIXTURES, 'e4-connect'), participant: 'E1' }
  ]) {
    const outcome = await dispatch(handlers, context, 'datasets.import', request)
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true)
  }
  context.close()
})

afterAll(() => {
  process.off('unhandledRejection', onRejection)
  context.close()
})

// --- Arguments shaped after a schema ---------------------------------------------------------------------

type Def = {
  type: string
  innerType?: z.ZodType
  shape?: Record<string, z.ZodType>
  options?: z.ZodType[]
  entries?: Record<string, string>
  values?: unknown[]
  element?: z.ZodType
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def
const shapeOf = (schema: z.ZodType) => (schema as unknown as { shape?: Record<string, z.ZodType> }).shape

const SESSION_MS = 1546824000000
const PATH_KEYS = new Set(['path', 'out', 'file', 'modelDirectory'])
const ID_KEYS = /(^id$|Id$)/
const TIME_KEYS = /Ms$/
const MINUTE_KEYS = /[mM]inutes$/
const RATING_KEYS = new Set(['arousal', 'valence', 'value', 'threshold', 'minConfidence'])

/** Paths a fuzzed call may touch: inside the sandbox, the fixtures (read only), and a few hostile ones. */
const pathValue = (call: CallName): fc.Arbitrary<string> => {
  const inside = fc
    .stringMatching(/^[a-z0-9._-]{1,12}$/)
    .map((name) => join(sandbox, name.replace(/^\.+/, 'd')))
  if (call !== 'datasets.import')
    return fc.oneof(inside, fc.constant(join(sandbox, 'nested', 'study.emoheal-study')))
  return fc.oneof(
    inside,
    fc.constantFrom(
      join(FIXTURES, 'kemocon-quirks'),
      join(FIXTURES, 'e4-connect'),
      join(FIXTURES, 'e4-connect', '1635148245_A00204', 'BVP.csv'),
      join(FIXTURES, 'e4-connect', '1635148245_A00204', 'EDA.csv'),
      // A device (reading /dev/zero or a FIFO would block for ever; test/datasets has those, here a
      // regression must not hang the run) and the root folder.
      '/dev/null',
      '/'
    )
  )
}

const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double())

function valueFor(
  call: CallName,
  key: string,
  schema: z.ZodType,
  depth: number,
  clean: boolean
): fc.Arbitrary<unknown> {
  const def = defOf(schema)
  let typed: fc.Arbitrary<unknown>
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
      return valueFor(call, key, def.innerType!, depth, clean)
    case 'enum':
      typed = fc.constantFrom(...Object.values(def.entries!))
      break
    case 'literal':
      typed = fc.constantFrom(...(def.values as unknown[]))
      break
    case 'object':
      typed = depth < 3 ? objectFor(call, schema, depth + 1, clean) : fc.constant({})
      break
    case 'union':
      typed = fc.oneof(...def.options!.map((option) => valueFor(call, key, option, depth, clean)))
      break
    case 'array':
      typed = fc.array(valueFor(call, key, def.element!, depth, clean), { maxLength: 3 })
      break
    case 'record':
      typed = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double(), fc.constant(null)), {
        maxKeys: 3
      })
      break
    case 'boolean':
      typed = fc.boolean()
      break
    case 'number':
      if (ID_KEYS.test(key))
        typed = fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 4 },
          fc.constantFrom(0, -1, 2 ** 40)
        )
      else if (key === 'offsetMs') typed = fc.integer({ min: -4_000_000, max: 4_000_000 })
      else if (TIME_KEYS.test(key))
        typed = fc.oneof(
          { arbitrary: fc.integer({ min: -60_000, max: 120_000 }).map((d) => SESSION_MS + d), weight: 4 },
          fc.constantFrom(0, -1, 1e300, Number.MAX_SAFE_INTEGER)
        )
      // The generator's cost grows with minutes and participants: small values, or refused ones.
      else if (MINUTE_KEYS.test(key))
        typed = fc.oneof(fc.double({ min: 0, max: 0.1, noNaN: true }), fc.constant(-1))
      else if (key === 'participants') typed = fc.constantFrom(1, 2, 0, 500)
      else if (RATING_KEYS.has(key))
        typed = fc.oneof({ arbitrary: fc.constantFrom(1, 2, 2.5, 3, 4, 5), weight: 4 }, fc.double())
      else if (key === 'columns') typed = fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.constantFrom(0, 1e6))
      else
        typed = fc.oneof(
          { arbitrary: fc.double({ min: 0, max: 10, noNaN: true }), weight: 3 },
          fc.integer({ min: -10, max: 10 }),
          fc.double()
        )
      break
    case 'string':
      if (PATH_KEYS.has(key)) typed = pathValue(call)
      else if (key === 'timezone') typed = fc.constantFrom('UTC', 'Asia/Seoul', 'Mars/Olympus', '')
      else
        typed = fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom(
            '',
            ' ',
            '1',
            'P1',
            'E1',
            'UTC',
            'Asia/Seoul',
            'Mars/Olympus',
            'eda',
            'value',
            't',
            'self'
          )
        )
      break
    default:
      typed = junk
  }
  return clean ? typed : fc.oneof({ arbitrary: typed, weight: 5 }, { arbitrary: junk, weight: 1 })
}

/**
 * An object with the schema's keys: "clean" ones hold values of each field's type (so most get past
 * validation into the handler), the others now and then a wrong value, a missing key or an extra one.
 */
function objectFor(call: CallName, schema: z.ZodType, depth: number, clean: boolean): fc.Arbitrary<unknown> {
  const def = defOf(schema)
  if (def.type === 'union')
    return fc.oneof(...def.options!.map((option) => objectFor(call, option, depth, clean)))
  const shape = shapeOf(schema) ?? def.shape
  if (!shape) return junk
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, field]) => {
      const value = valueFor(call, key, field, depth, clean)
      const optional = ['optional', 'default'].includes(defOf(field).type)
      return [key, clean && !optional ? value : fc.option(value, { freq: clean ? 2 : 6, nil: undefined })]
    })
  )
  return fc
    .tuple(
      fc.record(fields),
      clean ? fc.constant(null) : fc.option(fc.tuple(fc.string({ maxLength: 6 }), junk))
    )
    .map(([record, extra]) => {
      const value: Record<string, unknown> = {}
      for (const [key, field] of Object.entries(record)) if (field !== undefined) value[key] = field
      if (extra) value[extra[0]] = extra[1]
      return value
    })
}

function argumentsFor(name: CallName): fc.Arbitrary<unknown> {
  const schema = calls[name].args as z.ZodType
  if (INVALID_ONLY.has(name)) {
    return fc
      .oneof(junk, objectFor(name, schema, 0, false))
      .filter((value) => !schema.safeParse(value ?? {}).success)
  }
  return fc.oneof(
    { arbitrary: objectFor(name, schema, 0, true), weight: 3 },
    { arbitrary: objectFor(name, schema, 0, false), weight: 2 },
    { arbitrary: junk, weight: 1 }
  )
}

// --- The property -----------------------------------------------------------------------------------------

async function withTimeout<T>(promise: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label}: no answer in ${CASE_TIMEOUT_MS} ms (a hang)`)),
      CASE_TIMEOUT_MS
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('every IPC call, fed generated arguments through dispatch against a real study', () => {
  it.each(callNames)(
    '%s answers ok or a named error, never a throw, a hang or an unhandled rejection',
    async (name) => {
      // Each call starts from the same study, closed first: copying under an open connection mixes files.
      context.close()
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${working}${suffix}`, { force: true })
      copyFileSync(pristine, working)
      context.openStudy(working)
      // The import is this suite's own call: it gets more cases than the others.
      const base = name === 'datasets.import' ? 40 : FEWER.has(name) ? 4 : 16
      await fc.assert(
        fc.asyncProperty(argumentsFor(name), async (args) => {
          const label = `${name}(${JSON.stringify(args)?.slice(0, 300)})`
          let outcome: Awaited<ReturnType<typeof dispatch>>
          try {
            outcome = await withTimeout(dispatch(handlers, context, name, args), label)
          } finally {
            // A call may have opened or made another study: go back to the one under test.
            if (!context.hasStudy || context.study().path !== working) context.openStudy(working)
          }
          await new Promise((resolve) => setImmediate(resolve))
          expect(rejections, `${label}: unhandled rejection`).toEqual([])
          if (outcome.ok) {
            expect(outcome, label).toHaveProperty('value')
            tally('ipc', 'ok')
            return
          }
          expect(typeof outcome.error.name, label).toBe('string')
          expect(typeof outcome.error.message, label).toBe('string')
          expect(
            NAMED.has(outcome.error.name),
            `${label}: ${outcome.error.name}: ${outcome.error.message}`
          ).toBe(true)
          if (INVALID_ONLY.has(name)) expect(outcome.error.name, label).toBe('ValidationError')
          tally('ipc', outcome.error.name)
        }),
        fuzzParameters(base)
      )
      const check = context.study().db.pragma('integrity_check', { simple: true })
      expect(check).toBe('ok')
    }
  )
})
