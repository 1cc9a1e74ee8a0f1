"""A throwaway monitored stack on this machine, for the slow monitoring tests.

The real role (ansible/monitoring.yml) runs against an inventory of its own, with loopback
ports nobody uses and short intervals; it watches a real app container built from the
project's image (SQLite mode), a real PostgreSQL and an nginx serving stub_status. Alerts go
to a webhook receiver served here on 127.0.0.1. Everything is named with one random prefix and
removed by destroy().
"""
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docker
import yaml

from bench.ports import free_port
from pipeline.core import config as config_module
from pipeline.ship.service import Service
from tests.support.stack import REPO_ROOT, remove_images
from tests.monitoring.conftest import ANSIBLE_DIR, BIN, ansible_environment

ENVIRONMENT = "montest"
POSTGRES_IMAGE = "pipeline/postgres:15-bookworm"
NGINX_IMAGE = "pipeline/nginx:bookworm"
# Short intervals, so an alert fires and resolves within seconds.
INTERVALS = {"monitoring_scrape_interval": "1s", "monitoring_scrape_timeout": "1s",
             "monitoring_evaluation_interval": "1s",
             "monitoring_app_targets_refresh_interval": "2s", "monitoring_alert_app_down_for": "5s",
             "monitoring_alertmanager_group_wait": "1s",
             "monitoring_alertmanager_group_interval": "1s",
             "monitoring_alertmanager_repeat_interval": "1h"}


class WebhookReceiver:
    """Alertmanager's webhook notifications, each with the monotonic time it arrived."""

    def __init__(self) -> None:
        self.received: "queue.Queue[tuple[float, dict[str, Any]]]" = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((time.monotonic(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: the test reports what it received."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, alertname: str, status: str, timeout: float) -> float:
        """When a notification said ``alertname`` is ``status`` (firing or resolved)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived, payload = self.received.get(timeout=left)
            except queue.Empty:
                break
            if any(alert["labels"]["alertname"] == alertname and alert["status"] == status
                   for alert in payload["alerts"]):
                return arrived
        raise AssertionError(f"no {status} {alertname} notification within {timeout}s")

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class MonitoringStack:
    """The monitored stack and its monitoring, in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.name = f"mt{uuid.uuid4().hex[:8]}"
        self.client = docker.from_env()
        self.webhook = WebhookReceiver()
        self.ports = {key: free_port() for key in
                      ("prometheus", "alertmanager", "node_exporter", "postgres_exporter",
                       "nginx_exporter", "app", "status")}
        # The build stage tags the image by its bare name (push adds each registry).
        self.app_image = f"visitors-{self.name}"
        self.inventory = workdir / "inventories" / ENVIRONMENT
        self.variables: dict[str, Any] = {
            "stack_name": self.name, "stack_dir": str(self.state_dir),
            # The repository's contract, as the pipeline hands it to every playbook: the role
            # reads the app's metrics path and declared request metrics from it.
            "service": Service.from_config(config_module.load(REPO_ROOT, {})).as_vars(),
            # Punctuation a URL would need escaped: the exporter must still log in.
            "db_password": f"{secrets.token_hex(8)}/+'%@:x",
            # No postgres role here to make the exporter's own: it logs in as the owner.
            "db_monitor_user": self.name,
            "db_monitor_password": "{{ db_password }}",
            "proxy_status_listen": f"127.0.0.1:{self.ports['status']}",
            "app_metrics_target": f"127.0.0.1:{self.ports['app']}",
            "monitoring_webhook_url": self.webhook.url, **INTERVALS,
            **{f"monitoring_{key}_port": self.ports[key] for key in
               ("prometheus", "alertmanager", "node_exporter", "postgres_exporter",
                "nginx_exporter")}}

    @property
    def state_dir(self) -> Path:
        """The stack's directory on the (one) host: stack_dir."""
        return self.workdir / "state"

    @property
    def grafana_dir(self) -> Path:
        """Where the role writes Grafana's provisioning and dashboard."""
        return self.state_dir / "monitoring" / "grafana"

    @property
    def app_container(self) -> str:
        """The app's container name."""
        return f"{self.name}-app"

    def prometheus_url(self, path: str) -> str:
        """A URL of the stack's Prometheus."""
        return f"http://127.0.0.1:{self.ports['prometheus']}{path}"

    def write_inventory(self) -> None:
        """Every group on this machine, as in `local`, plus the `monitoring` group."""
        (self.inventory / "group_vars").mkdir(parents=True)
        local = "localhost"
        hosts = {"all": {"vars": {"ansible_connection": "local",
                                  "ansible_python_interpreter": sys.executable},
                         "children": {group: {"hosts": {local: None}}
                                      for group in ("app", "db", "proxy", "monitoring")}}}
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        (self.inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump(self.variables),
                                                               encoding="utf-8")

    def write_stale_files(self, group: str) -> None:
        """What an older release of the role left under names it no longer writes: a rules
        file (one valid group, ``group``), a datasource and a dashboard."""
        rules = self.state_dir / "monitoring" / "prometheus" / "rules"
        rules.mkdir(parents=True)
        (rules / "old.rules.yml").write_text(yaml.safe_dump({"groups": [{"name": group, "rules": [
            {"alert": "Old", "expr": "vector(1)"}]}]}), encoding="utf-8")
        for name in ("provisioning/datasources/old.yml", "dashboards/old.json"):
            (self.grafana_dir / name).parent.mkdir(parents=True)
            (self.grafana_dir / name).write_text("{}\n", encoding="utf-8")

    def build_app_image(self) -> str:
        """The project's app image, built by the real build stage under this stack's name."""
        version_file = self.workdir / "version.txt"
        version_file.write_text("0.1.0+build.1\n", encoding="utf-8")
        env = {"PIPELINE_IMAGE_NAME": f"visitors-{self.name}",
               "PIPELINE_VERSION_FILE": str(version_file),
               "PIPELINE_REPORTS_DIR": str(self.workdir / "reports")}
        result = subprocess.run([sys.executable, "-m", "pipeline", "build"], cwd=REPO_ROOT,
                                env={**os.environ, **env}, text=True, capture_output=True,
                                check=False, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return f"{self.app_image}:latest"

    def start_watched_services(self) -> None:
        """PostgreSQL, the app and an nginx with stub_status, as a deploy would leave them."""
        self.client.networks.create(self.name)
        self.client.containers.run(
            POSTGRES_IMAGE, name=f"{self.name}-db", network=self.name, detach=True,
            # The database and its owner are named after the stack, as the roles name them.
            environment={"POSTGRES_USER": self.name, "POSTGRES_DB": self.name,
                         "POSTGRES_PASSWORD": self.variables["db_password"]})
        # Without DATABASE_URL the app keeps SQLite in /srv/instance, which the image's user
        # cannot create (root owns /srv): a writable directory of the test's there, which also
        # outlives a restart (a tmpfs comes back root-only on this engine).
        instance = self.workdir / "instance"
        instance.mkdir()
        instance.chmod(0o1777)
        self.client.containers.run(self.build_app_image(), name=self.app_container, detach=True,
                                   volumes={str(instance): {"bind": "/srv/instance",
                                                            "mode": "rw"}},
                                   ports={"8000/tcp": ("127.0.0.1", self.ports["app"])})
        conf = self.workdir / "status.conf"
        conf.write_text(f"server {{ listen 127.0.0.1:{self.ports['status']}; "
                        "location = /stub_status { stub_status; } }\n", encoding="utf-8")
        self.client.containers.run(
            NGINX_IMAGE, name=f"{self.name}-status", network_mode="host", detach=True,
            volumes={str(conf): {"bind": "/etc/nginx/conf.d/status.conf", "mode": "ro"}})

    def playbook(self, playbook: str = "monitoring.yml") -> subprocess.CompletedProcess[str]:
        """Run one of the project's playbooks on this stack's inventory."""
        return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(self.inventory),
                               playbook], cwd=ANSIBLE_DIR, text=True, capture_output=True,
                              check=False, timeout=600, env=ansible_environment())

    def include_role(self, tasks_from: str,
                     variables: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        """Run one of the role's task files on this stack, as another role includes it."""
        return subprocess.run(
            [str(BIN / "ansible"), "localhost", "-i", str(self.inventory),
             "-m", "ansible.builtin.include_role",
             "-a", f"name=monitoring tasks_from={tasks_from}", "-e", json.dumps(variables)],
            cwd=ANSIBLE_DIR, text=True, capture_output=True, check=False, timeout=300,
            env=ansible_environment())

    def query_api(self, path: str) -> Any:
        """The ``data`` of a Prometheus API answer; an error fails with Prometheus' words."""
        try:
            with urllib.request.urlopen(self.prometheus_url(path), timeout=10) as answer:
                body = json.load(answer)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{path}: {error.read().decode()}") from error
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result; an expression error fails with Prometheus' words."""
        query = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        return list(self.query_api(query)["result"])

    def wait_for_query(self, expr: str, timeout: float = 60) -> list[dict[str, Any]]:
        """The first non-empty result of ``expr`` within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(1)
        raise AssertionError(f"{expr} returned nothing within {timeout}s")

    def destroy(self) -> None:
        """Remove every container, volume, network and image of this stack."""
        self.webhook.close()
        for container in self.client.containers.list(all=True):
            if container.name.startswith(f"{self.name}-"):
                container.remove(force=True, v=True)
        for volume in self.client.volumes.list(filters={"name": self.name}):
            volume.remove(force=True)
        for network in self.client.networks.list(names=[self.name]):
            network.remove()
        remove_images(self.app_image)
