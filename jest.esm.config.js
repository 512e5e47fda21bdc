// The ts-jest ESM setup the separate suites share (jest.e2e, jest.keycloak, jest.package, jest.mutation): the `jest`
// key in package.json (npm test) without its test list, transpile-only (tsc checks types in npm test).
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testPathIgnorePatterns: ['/node_modules/'],
  // a stuck child process must not keep CI alive; the harnesses also kill their process groups on exit
  forceExit: true,
}
