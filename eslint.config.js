// @ts-check
import tseslint from 'typescript-eslint'
import { dependencyRules } from './infra/lint/dependency-rules.js'

export default tseslint.config(
  { ignores: ['node_modules/**', '.drover/**', '.wrangler/**', 'dist/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  ...dependencyRules,
)
