"""A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager
from the binaries cluster/build.sh builds (issue 18). No scheduler, no kubelet: pods stay Pending.

    python cluster/controlplane.py up   [--state build/cluster] [--module cluster/k8s-1.34]   (make cluster-up)
    python cluster/controlplane.py down [--state build/cluster]   (make cluster-down)

``up`` picks free 127.0.0.1 ports, generates a CA, serving and client certificates and the
service-account keys (openssl), starts the three processes in a session of their own (they
outlive make), waits until the API server is ready and the controller manager has created the
``default`` ServiceAccount, installs the vendored CRDs (crds/: CRDs only, no webhook or
APIService, so nothing dials off loopback) server-side and waits until they are Established,
writes ``<state>/kubeconfig`` and links ``<state>/bin/kubectl``, and prints one line. Every pid
goes to ``<state>/pids``; ``down`` stops exactly those (checking each is still the binary it
started) and removes the state directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRD_DIRS = sorted(p for p in (ROOT / "crds").iterdir() if p.is_dir())
READY_TIMEOUT = 90.0  # seconds; the API server needs up to ~60 s on 2 loaded cores
STOP_TIMEOUT = 15.0
#: The Go module whose go.mod pins the versions: cluster/ (the newest Kubernetes) or
#: cluster/k8s-1.34 (the minimum the README states).
DEFAULT_MODULE = ROOT / "cluster"


class ClusterError(Exception):
    """A step of ``up`` or ``down`` failed; the message says which and where its log is."""


def binaries(module: Path = DEFAULT_MODULE) -> Path:
    """The directory holding the four binaries ``module``'s go.mod pins (TASKORA_CLUSTER_BIN, or
    build.sh's cache; warm: prints the cached directory, builds nothing)."""
    if os.environ.get("TASKORA_CLUSTER_BIN"):
        return Path(os.environ["TASKORA_CLUSTER_BIN"])
    build = Path(os.environ.get("TASKORA_CLUSTER_BUILD", ROOT / "cluster" / "build.sh"))
    out = subprocess.run(["bash", str(build), str(module.absolute())], check=True, stdout=subprocess.PIPE, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together so none repeats)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(pki: Path) -> None:
    """CA; apiserver serving cert (SAN 127.0.0.1, localhost); client certs for the admin
    (system:masters) and the controller manager; the service-account key pair. P-256 keys:
    generated in milliseconds, where RSA would cost a warm start seconds."""
    pki.mkdir(parents=True, mode=0o700)
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    for name in ("ca", "apiserver", "admin", "controller-manager", "sa"):
        _openssl("genpkey", *ec, "-out", f"{name}.key", cwd=pki)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=taskora-cluster-ca", "-days", "7",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", "ca.crt", cwd=pki)
    certs = {
        "apiserver": ("/CN=kube-apiserver", "serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        "admin": ("/O=system:masters/CN=taskora-admin", "clientAuth", None),
        "controller-manager": ("/CN=system:kube-controller-manager", "clientAuth", None),
    }
    for name, (subject, usage, san) in certs.items():
        ext = pki / f"{name}.ext"
        ext.write_text(f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                       f"extendedKeyUsage={usage}\n" + (f"{san}\n" if san else ""))
        _openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=pki)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "7", "-extfile", ext.name, "-out", f"{name}.crt", cwd=pki)


def kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    """A kubeconfig (JSON is YAML) for ``user``'s client certificate."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "taskora",
        "clusters": [{"name": "taskora", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate": str(pki / f"{user}.crt"),
                                          "client-key": str(pki / f"{user}.key")}}],
        "contexts": [{"name": "taskora", "context": {"cluster": "taskora", "user": user}}],
    }, indent=1))
    path.chmod(0o600)


def _start(state: Path, pids: dict, name: str, argv: list[str]) -> None:
    log = open(state / "logs" / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)  # outlives make and our exit
    log.close()
    pids[name] = {"pid": proc.pid, "exe": argv[0]}
    (state / "pids").write_text(json.dumps(pids, indent=1))


def _alive(entry: dict) -> bool:
    """Whether the recorded pid is still the binary we started (not a reused pid)."""
    try:
        exe = os.readlink(f"/proc/{entry['pid']}/exe")
    except OSError:
        return False
    return Path(exe) == Path(entry["exe"]).resolve()


def _wait(what: str, check, state: Path, pids: dict, log: str, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, entry in pids.items():
            if not _alive(entry):
                raise ClusterError(f"{name} exited while waiting for {what}: see {state / 'logs' / (name + '.log')}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.2)
    raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}: see {state / 'logs' / log}")


def up(state: Path, module: Path = DEFAULT_MODULE) -> str:
    t0 = time.monotonic()
    pids_file = state / "pids"
    if pids_file.exists():
        pids = json.loads(pids_file.read_text())
        if all(_alive(e) for e in pids.values()):
            return f"cluster: already up: export KUBECONFIG={state}/kubeconfig; {state}/bin/kubectl get ns"
        raise ClusterError(f"{state} holds a control plane that is not running: make cluster-down first")
    if state.exists():
        shutil.rmtree(state)
    bin_dir = binaries(module)
    (state / "logs").mkdir(parents=True)
    (state / "bin").mkdir()
    (state / "bin" / "kubectl").symlink_to(bin_dir / "kubectl")
    pki = state / "pki"
    make_pki(pki)
    etcd_port, peer_port, api_port, kcm_port = free_ports(4)
    server = f"https://127.0.0.1:{api_port}"
    admin = state / "kubeconfig"
    kubeconfig(admin, server, pki, "admin")
    kubeconfig(state / "controller-manager.kubeconfig", server, pki, "controller-manager")
    pids: dict = {}
    try:
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        _start(state, pids, "etcd", [
            str(bin_dir / "etcd"), f"--data-dir={state / 'etcd'}", "--name=default",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}", "--unsafe-no-fsync=true", "--log-level=warn"])
        _start(state, pids, "kube-apiserver", [
            str(bin_dir / "kube-apiserver"), f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={api_port}",
            # A loopback advertise address is refused unless nothing reconciles the kubernetes
            # Service's endpoints (1.37 checks it at start).
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}", "--authorization-mode=RBAC",
            f"--service-account-issuer={server}", f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24", "--profiling=false",
            # As kubeadm and managed clusters run it: Pod Security admission, not this flag,
            # is what refuses a privileged container in a restricted namespace.
            "--allow-privileged=true",
            # The default admission plugins (PodSecurity and ValidatingAdmissionPolicy among
            # them) stay as they are: no --enable/--disable-admission-plugins.
        ])
        ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))

        def ready() -> bool:
            with urllib.request.urlopen(f"{server}/readyz", context=ctx, timeout=5) as r:  # noqa: S310
                return r.read() == b"ok"
        _wait("the API server's /readyz", ready, state, pids, "kube-apiserver.log")
        _start(state, pids, "kube-controller-manager", [
            str(bin_dir / "kube-controller-manager"), f"--kubeconfig={state / 'controller-manager.kubeconfig'}",
            "--bind-address=127.0.0.1", f"--secure-port={kcm_port}", "--leader-elect=false",
            # Each controller acts as its own service account (the garbage collector as
            # kube-system:generic-garbage-collector, ...), as on kubeadm clusters: the
            # deletion policy tells them apart.
            "--use-service-account-credentials=true", "--controllers=*",
            f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
            f"--authentication-kubeconfig={state / 'controller-manager.kubeconfig'}",
            f"--authorization-kubeconfig={state / 'controller-manager.kubeconfig'}"])
        kubectl = [str(state / "bin" / "kubectl"), f"--kubeconfig={admin}"]

        def controllers() -> bool:
            return subprocess.run([*kubectl, "get", "serviceaccount", "default", "-n", "default"],
                                  capture_output=True).returncode == 0
        _wait("the controller manager (the default ServiceAccount)", controllers, state, pids,
              "kube-controller-manager.log")
        crds = [arg for d in CRD_DIRS for arg in ("-f", str(d))]
        subprocess.run([*kubectl, "apply", "--server-side", "--field-manager=taskora-cluster", *crds],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"],
                       check=True, stdout=subprocess.DEVNULL)
    except BaseException:
        stop(state)
        raise
    version = (bin_dir.parent / "versions").read_text().split()[1] if (bin_dir.parent / "versions").exists() else "?"
    rel = os.path.relpath(state, Path.cwd()) if state.is_relative_to(Path.cwd()) else str(state)
    return (f"cluster: Kubernetes {version} up at {server} in {time.monotonic() - t0:.1f} s: "
            f"export KUBECONFIG={rel}/kubeconfig; {rel}/bin/kubectl get ns (stop: make cluster-down)")


def stop(state: Path) -> list[str]:
    """Stops the processes recorded in ``<state>/pids`` (newest first), then removes ``state``."""
    stopped = []
    pids_file = state / "pids"
    pids = json.loads(pids_file.read_text()) if pids_file.exists() else {}
    for name, entry in reversed(list(pids.items())):
        if not _alive(entry):
            continue
        os.kill(entry["pid"], signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(entry) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(entry):
            os.kill(entry["pid"], signal.SIGKILL)
        stopped.append(f"{name} ({entry['pid']})")
    if state.exists():
        shutil.rmtree(state)
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--state", type=Path, default=Path("build/cluster"),
                        help="the state directory: kubeconfig, bin/kubectl, pids, logs (default build/cluster)")
    parser.add_argument("--module", type=Path, default=DEFAULT_MODULE,
                        help="the Go module that pins the versions (default cluster/; cluster/k8s-1.34: the minimum)")
    args = parser.parse_args(argv)
    state = args.state.absolute()
    try:
        if args.command == "up":
            print(up(state, args.module), flush=True)
        else:
            stopped = stop(state)
            print(f"cluster: stopped {', '.join(stopped) or 'nothing (not running)'}; removed {args.state}")
    except (ClusterError, subprocess.CalledProcessError) as err:
        print(f"cluster: {args.command} failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
