import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The main process's folders form layers: a folder may import a folder below it, never one that imports it
 * back. Over the whole of src-main a file may also import from a folder above its own (errors.ts, the
 * dataset readers' shared csv-reader): shared definitions sit above their users. The engine's folders (ops,
 * passes, executors, runtime, layers, model, windows, training, evaluation, runs, registry, inference, onnx,
 * edge, live, tasks, plan) hold the stricter rule, with no such exception. eslint's no-restricted-imports
 * holds the named rules; this holds the general one, over every import (types and dynamic imports included).
 */

const main = resolve(__dirname, '../../src-main')
const engine = join(main, 'engine')

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

function resolveImport(from: string, specifier: string): string | null {
  // Bundler assets (an icon's `?asset`) are not modules.
  if (!specifier.startsWith('.') || specifier.includes('?')) return null
  const base = resolve(dirname(from), specifier)
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not this form
    }
  }
  throw new Error(`${relative(main, from)}: cannot resolve ${specifier}`)
}

const isAbove = (folder: string, other: string) => other === '.' || folder.startsWith(`${other}/`)

/**
 * Folder -> the folders below `root` its files import, each with one file that does (for the message);
 * `ancestors`: whether an import from a folder above one's own counts.
 */
function folderGraph(root: string, ancestors: boolean): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>()
  for (const file of sourceFiles(root)) {
    const folder = relative(root, dirname(file)) || '.'
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    for (const { fileName } of importedFiles) {
      const target = resolveImport(file, fileName)
      if (!target || !target.startsWith(root)) continue
      const targetFolder = relative(root, dirname(target)) || '.'
      if (targetFolder === folder || (!ancestors && isAbove(folder, targetFolder))) continue
      if (!graph.has(folder)) graph.set(folder, new Map())
      const edges = graph.get(folder) as Map<string, string>
      if (!edges.has(targetFolder)) edges.set(targetFolder, `${relative(root, file)} imports ${fileName}`)
    }
  }
  return graph
}

/** Every cycle as the path of its imports (Tarjan's strongly connected components). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  let next = 0
  const visit = (node: string) => {
    index.set(node, next)
    low.set(node, next++)
    stack.push(node)
    for (const target of graph.get(node)?.keys() ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number))
      } else if (stack.includes(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number))
      }
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop() as string
      component.push(member)
    } while (member !== node)
    if (component.length > 1)
      found.push(
        component.flatMap((from) =>
          component.flatMap((to) => {
            const why = graph.get(from)?.get(to)
            return why ? [`${from} -> ${to} (${why})`] : []
          })
        )
      )
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

describe('folder layout', () => {
  it('has no import cycle between the engine folders', () => {
    expect(cycles(folderGraph(engine, true))).toEqual([])
  })

  it('has no import cycle between the main process folders, but for imports of shared files above', () => {
    expect(cycles(folderGraph(main, false))).toEqual([])
  })

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['runs', new Map([['evaluation', 'runs/a.ts imports ../evaluation/b']])],
      ['evaluation', new Map([['runs', 'evaluation/b.ts imports ../runs/a']])]
    ])
    expect(cycles(graph)).toHaveLength(1)
  })

  it('leaves no loose file at the engine root: each is in a folder that says what it holds', () => {
    expect(readdirSync(engine).filter((name) => name.endsWith('.ts'))).toEqual([])
  })
})
