// The JavaScript peer of the Taskora synth (make bench): the cdk8s app a user would write
// in JavaScript instead, started the way a user's is (`app: node main.js`, no compile step).
// It synthesizes exactly the manifests of the Python app, checked byte for byte by bench.py:
// one chart per file of the Python synth's output, of the same name, each chart depending
// on the previous chart of the same instance (the name without its last part: `taskora`,
// `taskora-7`), so the files come out with the same names, order and contents. Instances
// stay independent, as in the Python app: one chain through every chart would make cdk8s's
// dependency walks (topology, cycle check: no memo) exponential in the number of charts.
//
// TASKORA_BENCH_MANIFESTS names where the manifests come from:
// - a directory of *.k8s.yaml files (the Python synth's output): each file is Include-d;
// - a .json file ({"<file name>": [object, ...], ...}, the same manifests): the objects are
//   built in code, one ApiObject plus one JSON patch per top-level key, as the Python
//   constructs do (taskora_constructs/core/manifest.py) - no file is parsed by cdk8s.
//
// One detail keeps the bytes identical: cdk8s sorts the keys of an object's props (all of
// an included object) but not what JSON patches add, and the Python constructs add each
// top-level body key with a patch, in the model's field order. So each included object gets
// its body keys re-added, in the file's order, the same way.
'use strict';

const fs = require('fs');
const path = require('path');
const { ApiObject, App, Chart, Include, JsonPatch } = require('cdk8s');

const HEADER = new Set(['apiVersion', 'kind', 'metadata']);

const source = process.env.TASKORA_BENCH_MANIFESTS;
if (!source) {
  console.error('main.js: set TASKORA_BENCH_MANIFESTS to a directory of *.k8s.yaml files or a .json file');
  process.exit(2);
}

function addBody(apiObject, document, replace) {
  for (const [key, value] of Object.entries(document)) {
    if (!HEADER.has(key)) {
      const add = JsonPatch.add(`/${key}`, value);
      apiObject.addJsonPatch(...(replace ? [JsonPatch.remove(`/${key}`), add] : [add]));
    }
  }
}

function includeFile(chart, file) {
  const included = new Include(chart, 'manifests', { url: path.join(source, file) });
  for (const apiObject of included.apiObjects) {
    // Include passed each parsed document as the object's props (private in TypeScript).
    addBody(apiObject, apiObject.props, true);
  }
}

function buildObjects(chart, documents) {
  documents.forEach((document, i) => {
    const { apiVersion, kind, metadata } = document;
    addBody(new ApiObject(chart, `object${i}`, { apiVersion, kind, metadata }), document, false);
  });
}

const fromJson = source.endsWith('.json');
const files = fromJson ? JSON.parse(fs.readFileSync(source, 'utf8')) : null;
const names = fromJson ? Object.keys(files).sort()
  : fs.readdirSync(source).filter((f) => f.endsWith('.k8s.yaml')).sort();

const app = new App();
const previous = new Map(); // instance -> its last chart
for (const file of names) {
  const id = file.replace(/^\d{4}-/, '').replace(/\.k8s\.yaml$/, '');
  const instance = id.replace(/-[^-]*$/, '');
  const chart = new Chart(app, id, { disableResourceNameHashes: true });
  if (fromJson) {
    buildObjects(chart, files[file]);
  } else {
    includeFile(chart, file);
  }
  if (previous.has(instance)) {
    chart.addDependency(previous.get(instance));
  }
  previous.set(instance, chart);
}
app.synth();
