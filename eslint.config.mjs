import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

// Flat config does not merge one rule's options across blocks: every main-process block restates the Electron rule.
const electron = {
  name: 'electron',
  message: 'Only src-main/index.ts and ipc/electron-adapter.ts talk to Electron.'
}
const restrictImports = (patterns) => ({
  'no-restricted-imports': ['error', { paths: [electron], patterns }]
})

/**
 * The engine's layout: ops <- passes and executors <- runtime (backend, execution policy) <- layers <- model
 * <- training, evaluation <- runs, plan; inference, onnx and live beside the training side, never
 * imported by it. Each block is a folder's allowed imports; test/engine/layout.test.ts holds the general rule
 * (no folder imports one that imports it back).
 */
const engineLayout = [
  {
    files: ['src-main/engine/ops/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^(?!\\./)',
        message: 'The operations interface imports nothing: every executor implements it.'
      }
    ])
  },
  {
    files: ['src-main/engine/passes/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^(?!\\.\\./ops/|\\./)',
        message: 'A pass is written against the operations interface only (engine/ops/), nothing else.'
      }
    ])
  },
  {
    files: ['src-main/engine/executors/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^\\.\\./(?!ops/)',
        message: 'An executor implements engine/ops/ and knows no model, layer, pass or training code.'
      }
    ])
  },
  {
    files: ['src-main/engine/runtime/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^\\.\\./(?!executors/|ops/|\\.\\./)',
        message: 'The runtime (backend and execution policy) knows only the executors, which it chooses.'
      }
    ])
  },
  {
    files: ['src-main/engine/layers/**/*.ts'],
    rules: restrictImports([
      {
        regex:
          '^\\.\\./(model|inference|training|evaluation|runs|plan|registry|live|windows|torch|onnx|tasks)(/|$)',
        message: 'Layers are made of passes run by executors; models, inference and training build on them.'
      }
    ])
  },
  {
    files: ['src-main/engine/model/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^\\.\\./(inference|training|evaluation|runs|plan|registry|live|onnx|tasks)(/|$)',
        message: 'The model builders know nothing of inference, training or live runs, which use them.'
      }
    ])
  },
  {
    files: ['src-main/engine/training/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^\\.\\./(inference|live|onnx|runs|plan|tasks)(/|$)',
        message:
          'Training never imports inference-only code (inference, live, onnx) nor the runs built on it.'
      }
    ])
  },
  {
    files: ['src-main/store/**/*.ts'],
    rules: restrictImports([
      {
        regex: '^(\\.\\./)+engine(/|$)',
        message: 'The store knows nothing of the engine; the engine reads the store.'
      }
    ])
  }
]

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'test-output/**',
      '.cache/**',
      'bench/**/*.py',
      'test/fixtures/**/*.py'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
    // vue-tsc already knows every DOM type and global; no-undef would flag HTMLElement, MouseEvent and the like.
    rules: { 'no-undef': 'off' }
  },
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', window: 'readonly', document: 'readonly' }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    // Services know nothing of Electron: only the Electron entry and its IPC adapter may import it.
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/index.ts', 'src-main/ipc/electron-adapter.ts'],
    rules: restrictImports([])
  },
  ...engineLayout,
  {
    // The renderer sees main only through the contract's types.
    files: ['src-renderer/**/*.{ts,vue}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: 'src-main/(?!ipc/contract)',
              message: 'The renderer imports only the IPC contract from src-main.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs', '*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly' }
    }
  }
)
