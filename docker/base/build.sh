#!/bin/sh
# Builds a base image from Debian's own packages, for machines that cannot pull from a registry.
#   docker/base/build.sh python|postgres|nginx IMAGE:TAG
# The root filesystem comes from the machine's apt sources (mmdebstrap), `docker import` makes it
# an image, and for postgres/nginx a small Dockerfile adds what the official images provide.
set -eu

kind=${1:?usage: build.sh python|postgres|nginx IMAGE:TAG}
image=${2:?usage: build.sh python|postgres|nginx IMAGE:TAG}
here=$(cd "$(dirname "$0")" && pwd)
suite=${DEBIAN_SUITE:-bookworm}

case "$kind" in
  python) packages=python3,python3-venv,ca-certificates ;;
  postgres) packages=postgresql-15,ca-certificates,locales ;;
  nginx) packages=nginx-light,ca-certificates ;;
  *) echo "build.sh: unknown kind '$kind' (python, postgres, nginx)" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Docs, man pages and apt lists are dead weight in an image; the cluster Debian's postinst
# creates is replaced by the entrypoint's own initdb into the data volume.
mmdebstrap --variant=minbase --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  --customize-hook='rm -rf "$1"/var/lib/postgresql/15/main "$1"/etc/postgresql/15/main' \
  --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/default' \
  "$suite" "$work/rootfs.tar"

if [ "$kind" = python ]; then
  docker import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' \
    "$work/rootfs.tar" "$image"
  exit 0
fi

rootfs="$image-rootfs"
docker import "$work/rootfs.tar" "$rootfs"
docker build --build-arg "ROOTFS=$rootfs" --tag "$image" "$here/$kind"
docker image rm "$rootfs" >/dev/null
