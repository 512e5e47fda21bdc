// Mutation testing of the modules that decide who gets in (README "Mutation testing"). `npm run test:mutation`
// runs this incrementally (only mutants in changed code or covered by changed tests are re-tested; the rest come
// from test/mutation/stryker-incremental.json, which is committed) and then scripts/mutation-gate.js.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Module-level mutants (constants, tables) would re-run every related test file per mutant (60 % of the run
  // time); they are reported as ignored, and the tables that matter (identity header names) have their own tests.
  ignoreStatic: true,
  // ts-jest transpiles the instrumented sources; tsc already checks the real ones in npm test
  checkers: [],
  disableTypeChecks: true,
  mutate: [
    'src/request/original-request.ts',
    'src/request/trusted-proxies.ts',
    'src/request/redirect.ts',
    'src/rules/normalise.ts',
    'src/rules/match.ts',
    'src/access/decide.ts',
    'src/access/authorize.ts',
    'src/session/seal.ts',
    'src/session/cookies.ts',
    'src/tokens/jwt.ts',
    'src/tokens/jws.ts',
    'src/tokens/keys.ts',
    'src/headers/strip.ts',
    'src/headers/forwarding.ts',
    'src/headers/mapping.ts',
    'src/assertion/sign.ts',
  ],
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'artifacts/mutation/mutation-report.html' },
  jsonReporter: { fileName: 'artifacts/mutation/mutation-report.json' },
  thresholds: { high: 95, low: 90, break: null },
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  // Not copied into the sandbox: reports, builds and other runs' sandboxes (`.stryker-tmp*`).
  ignorePatterns: ['/artifacts', '/dist', '/coverage', '/.stryker-*'],
  cleanTempDir: 'always',
}
