// `make native`: compiles native/index.ts (the library's Node half) with the pinned jsii-srcmak
// into taskora_constructs/_native/, offline. Its API, not its CLI: only the API takes the
// module key, the name the jsii kernel loads the assembly under. The CLI would name it the
// SHA-256 of "index", which any other jsii-srcmak module with an index.ts shares.
'use strict';
const path = require('path');
const { srcmak } = require('jsii-srcmak');

const root = path.resolve(__dirname, '..');
const [outdir] = process.argv.slice(2);
srcmak(path.join(root, 'native'), {
  entrypoint: 'index.ts',
  moduleKey: 'taskora-constructs-native',
  deps: ['cdk8s', 'constructs'].map((name) => path.join(root, 'node_modules', name)),
  python: { outdir, moduleName: 'taskora_constructs._native' },
}).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
