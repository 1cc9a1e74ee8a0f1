"""Images derived from a built release: the same app with a few Dockerfile lines changed.

The deploy tests need releases that fail in chosen ways (never healthy, a failing migration);
building them from an existing release's image takes seconds instead of a full build.
"""
import io
import tarfile

import docker


def derived_image(base: str, target: str, build: int, dockerfile_tail: str,
                  files: dict[str, str] | None = None) -> None:
    """Tag ``target``: ``base`` reporting build ``build``, plus ``files`` and a Dockerfile tail."""
    lines = [f"FROM {base}", "USER root",
             *(f"COPY {name} /srv/{name}" for name in files or {}),
             f"ENV APP_VERSION=0.1.0+build.{build} APP_BUILD={build}", "USER 10001:10001",
             dockerfile_tail]
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, text in {"Dockerfile": "\n".join(lines) + "\n", **(files or {})}.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    docker.from_env().images.build(fileobj=context, custom_context=True, tag=target, rm=True)


# A release whose server never starts: its container runs, /healthz never answers.
NEVER_HEALTHY = 'CMD ["sleep", "3600"]'


def push(reference: str) -> None:
    """Push the locally tagged ``registry/name:tag`` to its registry: a deploy takes the build
    from the registry (it resolves the tag to its digest there), never from a host's tag."""
    repository, tag = reference.rsplit(":", 1)
    for chunk in docker.from_env().api.push(repository, tag=tag, stream=True, decode=True):
        assert "error" not in chunk, chunk
