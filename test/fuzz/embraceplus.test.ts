import fc from 'fast-check'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { importDataset } from '../../src-main/datasets/import-service'
import { FIXTURES, newStudy, temporaryFolder } from '../datasets/study-helpers'
import {
  applyAll,
  expectImportOutcome,
  expectNoCollectedFailures,
  fuzzParameters,
  mutations
} from './fuzz-support'

const VERSIONS = join(FIXTURES, 'embraceplus', 'versions')

describe('fuzzed EmbracePlus files end in a success or a named error, never a crash or a half-written study', () => {
  // The null-codec file exposes the records' bytes to the mutations; the deflate one, the inflater.
  for (const name of ['null-codec.avro', 'v65.avro', 'v63.avro']) {
    it(`mutated ${name}`, () => {
      const original = readFileSync(join(VERSIONS, name))
      const dir = temporaryFolder()
      const path = join(dir, name)
      const study = newStudy()
      importDataset(study, { kind: 'embraceplus', path: join(VERSIONS, 'v64.avro'), participant: 'V64' })
      const participant = name === 'null-codec.avro' ? 'NUL' : name === 'v65.avro' ? 'V65' : 'V63'
      fc.assert(
        fc.property(mutations, (list) => {
          writeFileSync(path, applyAll(original, list))
          expectImportOutcome(
            study,
            `embraceplus-${name}`,
            `${name}: ${list.map((m) => m.name).join('; ')}`,
            () => importDataset(study, { kind: 'embraceplus', path, participant })
          )
        }),
        fuzzParameters(120)
      )
      expectNoCollectedFailures()
      study.close()
    })
  }
})
