#!/usr/bin/python
"""Ansible module: an environment's deploy lock, a JSON file with its holder and a time-to-live.

Taking it is atomic (O_EXCL); a lock past its TTL is taken over, so a crashed deploy never
blocks the next one forever. It reports changed=false: the lock guards a run and is gone when
the run ends, so it is not state the host keeps.
"""
import json
import os
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or release an environment's deploy lock
description:
  - Takes the lock atomically, refusing with the holder's details when another deploy holds it.
  - Takes over a lock whose time-to-live has passed.
options:
  path: {description: The lock file., required: true, type: path}
  state: {description: present takes the lock, absent releases it., default: present,
          choices: [present, absent], type: str}
  owner: {description: Unique id of this deploy run., required: true, type: str}
  holder: {description: Who deploys (user@host)., default: unknown, type: str}
  build: {description: The build being deployed., default: "", type: str}
  ttl: {description: Seconds after which the lock may be taken over., default: 1800, type: int}
"""


def _iso(stamp):
    return datetime.fromtimestamp(stamp, timezone.utc).replace(microsecond=0).isoformat()


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _create(path, record):
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    return True


def acquire(module, path, owner, holder, build, ttl):
    now = time.time()
    record = {"owner": owner, "holder": holder, "build": build, "acquired_at": _iso(now),
              "expires_at": _iso(now + ttl), "expires": now + ttl}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for _attempt in range(3):
        if _create(path, record):
            module.exit_json(changed=False, lock=record, msg="deploy lock taken")
        current = _read(path)
        if current is not None and current.get("owner") == owner:
            module.exit_json(changed=False, lock=current, msg="deploy lock already ours")
        if current is not None and current.get("expires", 0) > now:
            module.fail_json(msg=(
                "another deploy holds the lock: {holder}, build {build}, since {acquired_at}, "
                "expires {expires_at} ({path})").format(path=path, **current))
        stale = "{0}.stale.{1}".format(path, os.getpid())
        try:
            os.replace(path, stale)
            os.unlink(stale)
        except FileNotFoundError:
            pass
    module.fail_json(msg="could not take the deploy lock at {0}".format(path))


def release(module, path, owner):
    current = _read(path)
    if current is not None and current.get("owner") == owner:
        os.unlink(path)
        module.exit_json(changed=False, msg="deploy lock released")
    module.exit_json(changed=False, msg="deploy lock not held by this deploy")


def main():
    module = AnsibleModule(argument_spec={
        "path": {"type": "path", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "owner": {"type": "str", "required": True},
        "holder": {"type": "str", "default": "unknown"},
        "build": {"type": "str", "default": ""},
        "ttl": {"type": "int", "default": 1800},
    }, supports_check_mode=False)
    params = module.params
    if params["state"] == "absent":
        release(module, params["path"], params["owner"])
    acquire(module, params["path"], params["owner"], params["holder"], params["build"],
            params["ttl"])


if __name__ == "__main__":
    main()
