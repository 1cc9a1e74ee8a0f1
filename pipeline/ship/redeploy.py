"""Redeploying build N: its image as the registries hold it, instead of a new build.

A retried deploy (a host was down, an approval timed out) should ship the image that was
built and tested, not rebuild the commit under a new number. So ``pipeline version redeploy
N ENV...`` checks that the registry of each environment holds build N's image and writes that
image's own version into version_file; the deploy then releases it exactly as a new build.

The version is the image's, not main's release with build N: the version stage may have been
bumped since (1.4.0+build.7 redeployed while main says 1.5.0), and the deploy expects what the
image reports. It is read from the image's ``org.opencontainers.image.version`` label (what
the template bakes, and so what ``/version`` says), else from its ``X.Y.Z-build.N`` tag, which
the build stage derives from the same version.
"""
import re
from collections.abc import Sequence

from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import Version, parse, write_version
from pipeline.ship.push import registry_of
from pipeline.ship.registry_api import Registry
from pipeline.ship.settings import ShipSettings

VERSION_LABEL = "org.opencontainers.image.version"
# The build numbers named when the one asked for is missing: the newest few.
NAMED_BUILDS = 5


def build_number(text: str) -> int:
    """A build to redeploy: a positive integer, or one line saying what was given."""
    if not re.fullmatch(r"[1-9][0-9]*", text.strip()):
        raise InputError(f"the build to redeploy must be a build number (a positive "
                         f"integer), got {text!r}")
    return int(text)


def tagged_versions(tags: Sequence[str]) -> list[Version]:
    """The versions among ``tags`` (``X.Y.Z-build.N``, as the build stage tags an image)."""
    versions = []
    for tag in tags:
        try:
            version = parse(tag.replace("-build.", "+build.", 1))
        except InputError:
            continue
        if version.docker_tag == tag:
            versions.append(version)
    return versions


def find_build(registry: Registry, repository: str, number: int) -> Version:
    """The version of build ``number``'s image in ``registry``; StageFailed when it has none,
    or more than one, or an image whose label contradicts its tag."""
    where = f"registry {registry.address}"
    versions = tagged_versions(registry.tags(repository))
    found = [version for version in versions if version.build == number]
    if not found:
        builds = sorted({version.build for version in versions})[-NAMED_BUILDS:]
        held = f"its newest builds there: {', '.join(map(str, builds))}" if builds \
            else "it holds no build of it"
        raise StageFailed(f"{where} has no image {repository} of build {number} ({held}): "
                          "nothing to redeploy")
    if len(found) > 1:
        raise StageFailed(f"{where} holds {len(found)} images of build {number} "
                          f"({', '.join(version.docker_tag for version in found)}): "
                          "which one is the build is not known")
    (version,) = found
    label = registry.labels(repository, version.docker_tag).get(VERSION_LABEL)
    if label is not None and label != str(version):
        raise StageFailed(f"{registry.address}/{repository}:{version.docker_tag} says it is "
                          f"{label!r} ({VERSION_LABEL}), not {version}: it was retagged")
    return version


def redeploy(config: Config, number: str, environments: Sequence[str] = ()) -> Version:
    """Check that the registry of every one of ``environments`` (default deploy_environment)
    holds build ``number``'s image, write its version into version_file, and return it."""
    build = build_number(number)
    settings = ShipSettings.from_config(config)
    found: dict[str, Version] = {}
    for environment in dict.fromkeys(environments or (settings.deploy_environment,)):
        address = registry_of(config, environment)
        if address not in found:
            found[address] = find_build(Registry(address), settings.image_name, build)
    versions = sorted(set(found.values()), key=str)
    if len(versions) > 1:
        raise StageFailed(f"the registries disagree on build {build}: " + ", ".join(
            f"{address} holds {version}" for address, version in found.items()))
    (version,) = versions
    write_version(config.version_file, version)
    print(f"redeploy of build {build}: {settings.image_name}:{version.docker_tag} is in "
          f"{', '.join(found)}; {config.display(config.version_file)} says {version}")
    return version
