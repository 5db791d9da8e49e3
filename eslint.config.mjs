import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Other packages may only use a package's public entry point (DESIGN.md).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@fittech/*/*',
                '!@fittech/manifests/testing',
                '!@fittech/shared/loader',
                '!@fittech/shared/core',
                '!@fittech/infra/synthesize',
              ],
              message:
                "Import only the package entry points (index.ts and the subpaths of the packages' exports maps: @fittech/manifests/testing, @fittech/shared/loader, @fittech/shared/core, @fittech/infra/synthesize).",
            },
            {
              regex: '^@cdktf/provider-aws$',
              message: 'Import @cdktf/provider-aws/lib/<resource> (the barrel costs seconds).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
