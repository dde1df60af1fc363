// `npm run test:docs`: the checks of the docs (__test__/docs/docs.spec.mjs). They are apart from
// the main suite (`ava`, which runs __test__/**/*.spec.ts) because the test matrix runs the main
// suite in a copy of the repository that has no docs.
export default {
  files: ['__test__/docs/**/*.spec.mjs'],
  workerThreads: false,
  timeout: '5m',
};
