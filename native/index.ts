// The Node half of taskora_constructs (issue 22): the library's objects and charts render in
// Node, as any cdk8s app's do, instead of calling back into Python at synth.
//
// Compiled by `make native` (the pinned jsii-srcmak, offline) into taskora_constructs/_native,
// which is committed; tests/generated/test_native.py proves the committed files are what this
// source compiles to. Why a module of our own at all: every value that crosses jsii is walked
// by the jsii kernel, node by node, on both sides (~1 us per JSON node, more than cdk8s's own
// work on it); a string crosses as one value. So each object crosses once, as JSON text, and
// nothing crosses back at synth.
import { ApiObject, Chart, ChartProps, DependencyGraph, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';

const HEADER = ['apiVersion', 'kind', 'metadata'];

// Bumped by every chart and object made here: a whole-App validation counts for the tree it saw.
let generation = 0;
// App root -> how many ManifestCharts it has.
const chartCount = new WeakMap<IConstruct, number>();
// The parsed manifest ConstructBatch hands the next ManifestObject (so it is parsed once).
let batchManifest: { [key: string]: any } | undefined;
// App root -> the generation the App was last validated at, and the renderings that allows.
const validated = new WeakMap<IConstruct, { generation: number; renderingsLeft: number }>();

/**
 * A Kubernetes object given whole, as JSON text.
 *
 * It renders as `ApiObject.toJson()` renders an object built with one JSON patch per top-level
 * key: `apiVersion`, `kind`, the metadata cdk8s makes (the Chart's labels and namespace merged
 * in, keys sorted, empty maps dropped), then the manifest's other keys in the manifest's order,
 * then the JSON patches added with `addJsonPatch`, in order.
 */
export class ManifestObject extends ApiObject {
  private body: { [key: string]: any };
  private readonly addedPatches: JsonPatch[] = [];

  /**
   * @param manifest the whole object (`apiVersion`, `kind`, `metadata`, ...) as JSON text
   */
  constructor(scope: Construct, id: string, manifest: string) {
    const parsed = batchManifest ?? JSON.parse(manifest);
    batchManifest = undefined;
    super(scope, id, { apiVersion: parsed.apiVersion, kind: parsed.kind, metadata: parsed.metadata });
    this.body = withoutHeader(parsed);
    generation++;
  }

  /**
   * Replaces the manifest, all but its metadata (which `metadata` holds): for an object the
   * library changes after it is made (a WorkloadNetworkPolicy's rules).
   *
   * @param manifest the whole object as JSON text
   */
  public replaceManifest(manifest: string): void {
    this.body = withoutHeader(JSON.parse(manifest));
  }

  /** Applies RFC-6902 JSON patches to the rendered object, after the manifest, in order. */
  public addJsonPatch(...ops: JsonPatch[]): void {
    this.addedPatches.push(...ops);
  }

  /** The object as Kubernetes JSON. */
  public toJson(): any {
    const document: { [key: string]: any } = {
      apiVersion: this.apiVersion, kind: this.kind, metadata: this.metadata.toJson(), ...this.body,
    };
    if (this.addedPatches.length === 0) {
      return document;
    }
    const patched = JsonPatch.apply(document, ...this.addedPatches);
    const ordered: { [key: string]: any } = {}; // cdk8s moves these three first, the rest in order
    for (const key of [...HEADER, ...Object.keys(patched)]) {
      if (key in patched) {
        ordered[key] = patched[key];
      }
    }
    return ordered;
  }
}

/**
 * A Chart whose rendering inside `App.synth()` skips the whole-App work cdk8s repeats per chart.
 *
 * cdk8s renders each chart through `App._synthChart`, which runs `resolveDependencies(app)` and
 * `validate(app)` over the whole App again, work `App.synth()` did once just before: O(charts x
 * constructs). A validation on the App's first ManifestChart notes each whole-App validation;
 * after it, each ManifestChart of the App may render once without redoing it, as long as no
 * chart or object was made here since. Otherwise (`Testing.synth(chart)`, a `toJson()` of your
 * own, a second rendering) it renders through cdk8s's own `Chart.toJson()`. The objects and
 * their order are the same either way.
 */
export class ManifestChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    generation++;
    const root = this.node.root;
    const count = chartCount.get(root) ?? 0;
    if (count === 0) {
      this.node.addValidation({
        validate: () => {
          validated.set(root, { generation, renderingsLeft: chartCount.get(root) ?? 0 });
          return [];
        },
      });
    }
    chartCount.set(root, count + 1);
  }

  /** The chart's objects as JSON, in cdk8s's order. */
  public toJson(): any[] {
    const state = validated.get(this.node.root);
    if (state === undefined || state.generation !== generation || state.renderingsLeft <= 0) {
      return super.toJson();
    }
    state.renderingsLeft--;
    // chartToKube (cdk8s app.js): the objects in dependency order, each only in its closest chart.
    return new DependencyGraph(this.node).topology()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === this)
      .map((o) => o.toJson());
  }
}

/**
 * Makes many constructs in one call across jsii: what one constructor of the library made
 * (taskora_constructs/core/batch.py). A round trip to this process costs more than the work of
 * making a construct; the library's Python objects are bound to these afterwards.
 */
export class ConstructBatch {
  /**
   * @param scopes the existing constructs the batch makes children under
   * @param specs JSON text, `[[scope, id, kind, arg], ...]` in creation order: `scope` >= 0 is
   *   the index of a construct made earlier in this batch, < 0 is `scopes[-scope - 1]`; `kind`
   *   is `construct` (a Construct), `chart` (a ManifestChart, `arg` its props), `object` (a
   *   ManifestObject, `arg` its manifest) or `dependency` (`scope` depends on `arg`, an index
   *   as `scope` is; nothing is made)
   * @returns the constructs made, in order
   */
  public static make(scopes: IConstruct[], specs: string): IConstruct[] {
    const parsed: [number, string, string, any][] = JSON.parse(specs);
    const scopeOf = (index: number, made: IConstruct[]) => (index >= 0 ? made[index] : scopes[-index - 1]) as Construct;
    // All or nothing: a duplicate id is refused before anything is made.
    const ids = new Map<IConstruct | number, Set<string>>();
    for (const [scope, id, kind] of parsed) {
      if (kind === 'dependency') {
        continue;
      }
      const existing = scope < 0 ? scopes[-scope - 1] : undefined;
      const key = existing ?? scope;
      const taken = ids.get(key) ?? new Set<string>();
      if (taken.has(id) || existing?.node.tryFindChild(id) !== undefined) {
        throw new Error(`There is already a Construct with name '${id}' in ${existing ? existing.node.path || 'the App' : 'the batch'}`);
      }
      taken.add(id);
      ids.set(key, taken);
    }
    const made: IConstruct[] = [];
    for (const [scope, id, kind, arg] of parsed) {
      const parent = scopeOf(scope, made);
      if (kind === 'object') {
        batchManifest = arg;
        made.push(new ManifestObject(parent, id, ''));
      } else if (kind === 'dependency') {
        parent.node.addDependency(scopeOf(arg, made));
        made.push(parent); // keeps the indexes: nothing new is made
      } else if (kind === 'chart') {
        made.push(new ManifestChart(parent, id, arg));
      } else {
        made.push(new Construct(parent, id));
      }
    }
    return made;
  }

  private constructor() {}
}

/** Every ApiObject of an App rendered at once (the opt-in lint reads them all). */
export class Manifests {
  /**
   * `[[construct path, object JSON], ...]` for every ApiObject at and under `scope`, in
   * construct-tree order, as JSON text.
   */
  public static render(scope: IConstruct): string {
    return JSON.stringify(scope.node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c))
      .map((o) => [o.node.path, o.toJson()]));
  }

  private constructor() {}
}

function withoutHeader(manifest: { [key: string]: any }): { [key: string]: any } {
  const body: { [key: string]: any } = {};
  for (const [key, value] of Object.entries(manifest)) {
    if (!HEADER.includes(key)) {
      body[key] = value;
    }
  }
  return body;
}
