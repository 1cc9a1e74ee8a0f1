"""A fleet of machines on this one: containers that act as SSH hosts with their own Docker engine.

Like Kamal's integration suite: each host runs sshd (and, once provisioned, dockerd) on a
user-defined network, so the multi-host deploy path runs over real SSH exactly as it would to
staging or production. `pipeline fleet up` makes the hosts, an SSH key, the inventory's hosts
file and its encrypted secrets; `pipeline fleet down` removes everything it made.

The host image is Debian's packages, built with mmdebstrap and keyed by its recipe, so it is
built once per machine. `--privileged` is refused on these machines: the hosts get every
capability but SYS_RESOURCE, the cgroup tree, and a volume for their own /var/lib/docker.
"""
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker
import yaml
from ansible.constants import DEFAULT_VAULT_ID_MATCH
from ansible.parsing.vault import VaultLib, VaultSecret
from docker.errors import NotFound

from pipeline.core.errors import InputError, StageFailed
from pipeline.ship import engine

# A bare Debian server as a provider hands it over: sshd, sudo, Python for Ansible; the Docker
# engine is installed but left stopped (provision configures and starts it).
HOST_PACKAGES = ("docker.io", "openssh-server", "sudo", "iproute2", "procps", "python3",
                 "python3-apt", "python3-requests", "ca-certificates")
HOST_HOOKS = (
    # Each host makes its own host keys on first start (see HOST_COMMAND).
    'rm -f "$1"/etc/ssh/ssh_host_*',
    # The account Ansible logs in with, a sudoer without password, as on the servers we deploy to.
    'chroot "$1" useradd --create-home --shell /bin/bash deploy',
    'echo "deploy ALL=(ALL) NOPASSWD:ALL" > "$1"/etc/sudoers.d/deploy',
    'chmod 0440 "$1"/etc/sudoers.d/deploy',
    # No package lists, dated long ago: the first apt task updates them, as on a new server.
    'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* && touch -d @0 "$1"/var/lib/apt/lists',
)
HOST_COMMAND = ["/bin/sh", "-c",
                "ssh-keygen -A >/dev/null && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e"]
# What a host runs when it starts (its "boot"): sshd, and the Docker engine once provision
# has configured it, as systemd would start an enabled docker.service on a real server.
BOOT_COMMAND = ["/bin/sh", "-c",
                "ssh-keygen -A >/dev/null && mkdir -p /run/sshd"
                " && { [ ! -e /etc/docker/daemon.json ]"
                " || setsid -f dockerd >>/var/log/dockerd.log 2>&1 </dev/null; }"
                " && exec /usr/sbin/sshd -D -e"]
SUITE = "bookworm"
IMAGE_REPOSITORY = "pipeline/fleet-host"

# The hosts and the inventory groups each belongs to.
HOSTS: dict[str, tuple[str, ...]] = {
    "proxy-1": ("proxy", "registry", "monitoring"),
    "app-1": ("app",),
    "app-2": ("app",),
    "db-1": ("db",),
}
GROUPS = ("app", "db", "proxy", "registry", "monitoring")
LABEL = "org.example.fleet"
SSH_USER = "deploy"
REGISTRY_USER = "pipeline"


@dataclass(frozen=True)
class Fleet:
    """One fleet: its name (prefix of every Docker object) and where its files live."""

    name: str
    inventory_dir: Path
    state_dir: Path

    @property
    def key_file(self) -> Path:
        """The private SSH key Ansible logs in with (its .pub is on every host)."""
        return self.state_dir / "id_ed25519"

    @property
    def vault_password_file(self) -> Path:
        """The password of the inventory's vault.yml (what ANSIBLE_VAULT_PASSWORD_FILE names)."""
        return self.state_dir / "vault-password"

    @property
    def env_file(self) -> Path:
        """Shell exports that point the pipeline at this fleet (registry, credentials, vault)."""
        return self.state_dir / "env"

    @property
    def hosts_file(self) -> Path:
        """The inventory's generated hosts file."""
        return self.inventory_dir / "hosts.yml"

    @property
    def vault_file(self) -> Path:
        """The inventory's generated, encrypted secrets."""
        return self.inventory_dir / "group_vars" / "all" / "vault.yml"

    def container(self, host: str) -> str:
        """The Docker name of ``host``'s container."""
        return f"{self.name}-{host}"

    def volume(self, host: str) -> str:
        """The volume that holds ``host``'s own /var/lib/docker."""
        return f"{self.name}-{host}-docker"


def host_image_tag() -> str:
    """The host image's tag: a digest of its recipe, so a changed recipe builds a new image."""
    recipe = json.dumps([SUITE, HOST_PACKAGES, HOST_HOOKS, HOST_COMMAND])
    return f"{IMAGE_REPOSITORY}:{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def ensure_host_image(client: docker.DockerClient, say: Callable[[str], None]) -> str:
    """The host image, built from Debian's packages unless this machine has it already."""
    tag = host_image_tag()
    if client.images.list(name=tag):
        return tag
    if shutil.which("mmdebstrap") is None:
        raise StageFailed("building the fleet's host image needs mmdebstrap "
                          "(apt-get install mmdebstrap)")
    say(f"building the host image {tag} from Debian's packages (about 90 s, once)")
    with tempfile.TemporaryDirectory() as work:
        rootfs = Path(work) / "rootfs.tar"
        command = ["mmdebstrap", "--variant=minbase", "--quiet",
                   f"--include={','.join(HOST_PACKAGES)}",
                   "--dpkgopt=path-exclude=/usr/share/doc/*",
                   "--dpkgopt=path-exclude=/usr/share/man/*",
                   *(f"--customize-hook={hook}" for hook in HOST_HOOKS), SUITE, str(rootfs)]
        _check_run(command, "mmdebstrap of the host image")
        changes = [f"CMD {json.dumps(HOST_COMMAND)}", "ENV LANG=C.UTF-8"]
        options = [arg for change in changes for arg in ("--change", change)]
        _check_run(["docker", "import", *options, str(rootfs), tag],
                   "docker import of the host image")
    return tag


def _check_run(command: list[str], what: str) -> None:
    result = subprocess.run(command, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        raise StageFailed(f"{what} failed: {last}")


def _ensure_key(fleet: Fleet) -> str:
    """The fleet's SSH key pair (made once); returns the public key."""
    fleet.state_dir.mkdir(parents=True, exist_ok=True)
    if not fleet.key_file.exists():
        _check_run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{fleet.name}-deploy",
                    "-f", str(fleet.key_file)], "ssh-keygen")
    return fleet.key_file.with_suffix(".pub").read_text(encoding="utf-8")


def _authorized_keys(public_key: str) -> bytes:
    """A tar archive of /home/deploy/.ssh/authorized_keys, owned by deploy, for put_archive."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        directory = tarfile.TarInfo(".ssh")
        directory.type, directory.mode = tarfile.DIRTYPE, 0o700
        data = public_key.encode()
        keys = tarfile.TarInfo(".ssh/authorized_keys")
        keys.size, keys.mode = len(data), 0o600
        for member in (directory, keys):
            member.uid = member.gid = 1000
        tar.addfile(directory)
        tar.addfile(keys, io.BytesIO(data))
    return archive.getvalue()


def _start_host(client: docker.DockerClient, fleet: Fleet, host: str, image: str,
                public_key: str) -> None:
    """Create and start ``host`` unless it already runs."""
    name = fleet.container(host)
    try:
        existing = client.containers.get(name)
    except NotFound:
        existing = None
    if existing is not None:
        if existing.status != "running":
            existing.start()
        return
    container = client.containers.create(
        image, command=BOOT_COMMAND, name=name, hostname=host, detach=True,
        labels={LABEL: fleet.name},
        cap_add=["ALL"], cap_drop=["SYS_RESOURCE"],
        security_opt=["seccomp=unconfined", "apparmor=unconfined"],
        volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                 fleet.volume(host): {"bind": "/var/lib/docker", "mode": "rw"}},
        network=fleet.name)
    container.put_archive("/home/deploy", _authorized_keys(public_key))
    container.start()


def _address(client: docker.DockerClient, fleet: Fleet, host: str) -> str:
    container = client.containers.get(fleet.container(host))
    return str(container.attrs["NetworkSettings"]["Networks"][fleet.name]["IPAddress"])


def _wait_for_ssh(addresses: Iterable[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for address in addresses:
        while True:
            try:
                with socket.create_connection((address, 22), timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise StageFailed(f"sshd at {address}:22 did not answer in {timeout:.0f}s")
                time.sleep(0.3)


def inventory(fleet: Fleet, addresses: dict[str, str]) -> dict[str, object]:
    """The hosts file: every host with its address, in its groups, reached as ``deploy``."""
    groups = {group: {"hosts": {host: None for host, member in HOSTS.items() if group in member}}
              for group in GROUPS}
    return {"all": {"children": {"fleet": {
        "hosts": {host: {"ansible_host": address, "private_address": address}
                  for host, address in addresses.items()},
        "vars": {"ansible_user": SSH_USER, "ansible_become": True,
                 "ansible_python_interpreter": "/usr/bin/python3",
                 "ansible_ssh_private_key_file": str(fleet.key_file),
                 # Fleet hosts make new host keys each time they are made: nothing to pin.
                 "ansible_host_key_checking": False,
                 "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null",
                 "fleet_name": fleet.name}},
        **groups}}}


def _write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (created so, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _ensure_secrets(fleet: Fleet) -> dict[str, str]:
    """The fleet's secrets: made once, kept in the encrypted vault and the private env file."""
    if not fleet.vault_password_file.exists():
        _write_private(fleet.vault_password_file, secrets.token_urlsafe(32) + "\n")
    vault = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(
        fleet.vault_password_file.read_text(encoding="utf-8").strip().encode()))])
    if fleet.vault_file.exists():
        values = yaml.safe_load(vault.decrypt(fleet.vault_file.read_bytes()))
    else:
        values = {"vault_db_password": secrets.token_urlsafe(24),
                  "vault_db_app_password": secrets.token_urlsafe(24),
                  "vault_registry_password": secrets.token_urlsafe(24)}
        encrypted = vault.encrypt(yaml.safe_dump(values).encode())
        _write_private(fleet.vault_file, encrypted.decode())
    return {str(key): str(value) for key, value in values.items()}


def env_exports(fleet: Fleet, values: dict[str, str]) -> str:
    """What a shell sources to deploy to the fleet, as Jenkins' bound credentials would be."""
    exports = {"REGISTRY_USER": REGISTRY_USER,
               "REGISTRY_PASSWORD": values["vault_registry_password"],
               "ANSIBLE_VAULT_PASSWORD_FILE": str(fleet.vault_password_file)}
    return "".join(f"export {key}='{value}'\n" for key, value in exports.items())


def up(fleet: Fleet, say: Callable[[str], None] = print) -> dict[str, str]:
    """Make (or complete) the fleet; returns each host's address."""
    if not (fleet.inventory_dir / "group_vars").is_dir():
        raise InputError(f"{fleet.inventory_dir} has no group_vars: not a fleet inventory")
    client = engine.connect()
    image = ensure_host_image(client, say)
    public_key = _ensure_key(fleet)
    if not client.networks.list(names=[fleet.name]):
        client.networks.create(fleet.name, driver="bridge", labels={LABEL: fleet.name})
    for host in HOSTS:
        _start_host(client, fleet, host, image, public_key)
    addresses = {host: _address(client, fleet, host) for host in HOSTS}
    _wait_for_ssh(addresses.values())
    fleet.hosts_file.write_text(
        "# Made by `pipeline fleet up`: the fleet's hosts on this machine (not committed).\n"
        + yaml.safe_dump(inventory(fleet, addresses), sort_keys=False), encoding="utf-8")
    _write_private(fleet.env_file, env_exports(fleet, _ensure_secrets(fleet)))
    for host, address in addresses.items():
        say(f"{host:8} {address}  ({', '.join(HOSTS[host])})")
    say(f"inventory {fleet.hosts_file}; credentials: source {fleet.env_file}")
    return addresses


def down(fleet: Fleet, say: Callable[[str], None] = print) -> None:
    """Remove the fleet's containers, volumes, network, cgroups and generated files."""
    client = engine.connect()
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={fleet.name}"}):
        container.remove(force=True, v=True)
        say(f"removed {container.name}")
    for host in HOSTS:
        for volume in client.volumes.list(filters={"name": fleet.volume(host)}):
            volume.remove(force=True)
        # Each host's engine kept its containers under a cgroup parent of its own.
        for directory in Path("/sys/fs/cgroup").glob(f"*/{fleet.name}-{host}"):
            _remove_cgroup(directory)
    for network in client.networks.list(names=[fleet.name]):
        network.remove()
    for path in (fleet.hosts_file, fleet.vault_file):
        path.unlink(missing_ok=True)
    shutil.rmtree(fleet.state_dir, ignore_errors=True)


def _remove_cgroup(directory: Path) -> None:
    """Remove an (empty) cgroup tree, deepest first; cgroupfs removes directories only."""
    for child in sorted(directory.rglob("*"), key=lambda path: len(path.parts), reverse=True):
        if child.is_dir():
            try:
                child.rmdir()
            except OSError:
                pass
    try:
        directory.rmdir()
    except OSError:
        pass
