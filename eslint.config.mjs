import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only src-main/index.ts and ipc/electron-adapter.ts talk to Electron.'
            }
          ]
        }
      ]
    }
  },
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
