#!/usr/bin/python
"""Ansible module: an environment's deploy lock, a JSON file with its holder and a time-to-live.

The lock file is written whole under a temporary name and then hard-linked into place, so no
reader ever sees it half-written and two takers cannot both succeed (link fails if it exists).
A lock past its TTL is taken over, so a crashed deploy never blocks the next one forever; the
takeover moves exactly the stale file it read (another taker's fresh lock is put back).
Each acquisition gets a fencing token one above the last. It reports changed=false: the lock
guards a run and is gone when the run ends, so it is not state the host keeps.
"""
import json
import os
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take, release or read an environment's deploy lock
description:
  - Takes the lock atomically, refusing with the holder's details when another deploy holds it.
  - Takes over a lock whose time-to-live has passed. The same owner taking it again renews it.
options:
  path: {description: The lock file., required: true, type: path}
  state: {description: present takes (or renews) the lock, absent releases it, query reads it.,
          default: present, choices: [present, absent, query], type: str}
  owner: {description: Unique id of this deploy run., default: "", type: str}
  force: {description: With state=absent, release whoever holds it., default: false, type: bool}
  holder: {description: Who deploys (user@host)., default: unknown, type: str}
  build: {description: The build being deployed., default: "", type: str}
  ttl: {description: Seconds after which the lock may be taken over., default: 1800, type: int}
  process: {description: "The deploying process (host, pid, start: its start time in clock
            ticks since boot), so a run on the same machine can tell that it is gone.",
            default: {}, type: dict}
  renew: {description: "With state=present, only renew: fail unless this owner holds the lock
          (it expired and was taken over, or it was released by hand).", default: false,
          type: bool}
  token: {description: "With state=absent and force, release only the lock with this fencing
          token (0: whichever), so two runs freeing the same dead holder's lock cannot free
          the lock one of them has just taken.", default: 0, type: int}
"""


def _iso(stamp):
    return datetime.fromtimestamp(stamp, timezone.utc).replace(microsecond=0).isoformat()


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _next_token(path):
    """One above the last token handed out here (kept beside the lock, never removed)."""
    counter = path + ".token"
    last = _read(counter) or 0
    token = int(last) + 1
    _write_whole(counter, token)
    return token


def _written(path, value, suffix):
    """``value`` as JSON in a new file beside ``path``, on disk: returns its name."""
    temporary = "{0}.{1}.{2}".format(path, os.getpid(), suffix)
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def _write_whole(path, value):
    os.replace(_written(path, value, "tmp"), path)


def _create(path, record):
    """Put ``record`` at ``path`` unless a lock is there; never visible half-written."""
    temporary = _written(path, record, "new")
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


def _take_over(path, stale):
    """Move away exactly the stale lock that was read; a fresh one moved by mistake goes back."""
    moved = "{0}.stale.{1}".format(path, os.getpid())
    try:
        os.rename(path, moved)
    except FileNotFoundError:
        return
    if _read(moved) != stale:
        try:
            os.link(moved, path)
        except FileExistsError:
            pass
    os.unlink(moved)


def acquire(module, path, owner, holder, build, ttl, process, renew):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for _attempt in range(5):
        now = time.time()
        current = _read(path)
        if current is not None and current.get("owner") == owner:
            current.update(expires=now + ttl, expires_at=_iso(now + ttl))
            _write_whole(path, current)
            module.exit_json(changed=False, lock=current, msg="deploy lock renewed")
        if renew:
            module.fail_json(lock=current, msg=(
                "this deploy no longer holds the lock ({0}): stopping before changing "
                "more".format("now held by {holder}, build {build}".format(**current)
                              if current else "it was released")))
        if current is not None and current.get("expires", 0) > now:
            module.fail_json(msg=(
                "another deploy holds the lock: {holder}, build {build}, since {acquired_at}, "
                "expires {expires_at} ({path})").format(path=path, **current))
        if current is not None or os.path.exists(path):
            _take_over(path, current)
            continue
        record = {"owner": owner, "holder": holder, "build": build, "acquired_at": _iso(now),
                  "expires_at": _iso(now + ttl), "expires": now + ttl,
                  "token": _next_token(path), "process": process}
        if _create(path, record):
            module.exit_json(changed=False, lock=record, msg="deploy lock taken")
    module.fail_json(msg="could not take the deploy lock at {0}".format(path))


def release(module, path, owner, force, token):
    current = _read(path)
    forced = force and (not token or current is not None and current.get("token") == token)
    if current is not None and (forced or current.get("owner") == owner):
        os.unlink(path)
        module.exit_json(changed=False, lock=current, msg="deploy lock released")
    module.exit_json(changed=False, lock=current, msg="deploy lock not held by this deploy")


def main():
    module = AnsibleModule(argument_spec={
        "path": {"type": "path", "required": True},
        "state": {"type": "str", "default": "present",
                  "choices": ["present", "absent", "query"]},
        "owner": {"type": "str", "default": ""},
        "force": {"type": "bool", "default": False},
        "holder": {"type": "str", "default": "unknown"},
        "build": {"type": "str", "default": ""},
        "ttl": {"type": "int", "default": 1800},
        "process": {"type": "dict", "default": {}},
        "renew": {"type": "bool", "default": False},
        "token": {"type": "int", "default": 0},
    }, supports_check_mode=True)
    params = module.params
    if params["state"] == "query":
        module.exit_json(changed=False, lock=_read(params["path"]), now=time.time())
    if params["state"] == "absent":
        release(module, params["path"], params["owner"], params["force"], params["token"])
    if not params["owner"]:
        module.fail_json(msg="owner is required to take the lock")
    acquire(module, params["path"], params["owner"], params["holder"], params["build"],
            params["ttl"], params["process"], params["renew"])


if __name__ == "__main__":
    main()
