// ESLint, flat config: the recommended rules of ESLint and typescript-eslint, syntax only (no type
// information, so that a lint of the whole tree takes seconds). `npm run lint`, part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.mopar-cache/', 'out/', 'tmp/', 'scratch/', '.dist-*/'] },
  // An eslint-disable comment that suppresses nothing is an error, so that every one left means something.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `const { dropped: _, ...rest } = obj` is how a key is left out of a copy; the rest is what is used.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The plain-JS build and test scripts run under Node (TypeScript files get no-undef from tsc instead).
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
