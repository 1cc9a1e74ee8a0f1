#!/bin/sh
# Builds a base image from Debian's own packages, for machines that cannot pull from a registry.
#   roles/base_images/files/build.sh KIND IMAGE:TAG
# KIND: python, postgres, nginx, or one of the monitoring kinds: prometheus, alertmanager,
# node-exporter, postgres-exporter, nginx-exporter.
# The root filesystem comes from the machine's apt sources (mmdebstrap), `docker import` makes it
# an image, and except for python a small Dockerfile (files/KIND) adds what the official
# images provide: user, volume, entrypoint.
set -eu

usage="usage: build.sh python|postgres|nginx|prometheus|alertmanager|node-exporter|postgres-exporter|nginx-exporter IMAGE:TAG"
kind=${1:?$usage}
image=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
suite=${DEBIAN_SUITE:-bookworm}
# The monitoring images share one root filesystem holding all of Debian's Prometheus packages:
# one mmdebstrap for the five of them, and one layer on disk under all five.
monitoring_packages=prometheus,prometheus-alertmanager,prometheus-node-exporter
monitoring_packages=$monitoring_packages,prometheus-postgres-exporter,prometheus-nginx-exporter
rootfs="$image-rootfs"
keep_rootfs=false
# Files a kind's images never read (one dpkg path pattern, or nothing).
exclude=""

case "$kind" in
  python) packages=python3,python3-venv,ca-certificates ;;
  postgres) packages=postgresql-15,ca-certificates,locales ;;
  nginx) packages=nginx-light,ca-certificates ;;
  prometheus|alertmanager|node-exporter|postgres-exporter|nginx-exporter)
    packages=$monitoring_packages,ca-certificates
    rootfs="pipeline/monitoring-rootfs:$suite"
    keep_rootfs=true
    # moment-timezone's per-zone data (210 MB) is unused: the web UI loads its bundled copy.
    exclude='/usr/share/javascript/moment-timezone/data/*' ;;
  *) echo "build.sh: unknown kind '$kind' ($usage)" >&2; exit 2 ;;
esac

if [ "$keep_rootfs" = true ] && docker image inspect "$rootfs" >/dev/null 2>&1; then
  docker build --build-arg "ROOTFS=$rootfs" --tag "$image" "$here/$kind"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Docs, man pages and apt lists are dead weight in an image; the cluster Debian's postinst
# creates is replaced by the entrypoint's own initdb into the data volume.
mmdebstrap --variant=minbase --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  ${exclude:+--dpkgopt="path-exclude=$exclude"} \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  --customize-hook='rm -rf "$1"/var/lib/postgresql/15/main "$1"/etc/postgresql/15/main' \
  --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/default' \
  "$suite" "$work/rootfs.tar"

if [ "$kind" = python ]; then
  docker import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' \
    "$work/rootfs.tar" "$image"
  exit 0
fi

docker import "$work/rootfs.tar" "$rootfs"
docker build --build-arg "ROOTFS=$rootfs" --tag "$image" "$here/$kind"
[ "$keep_rootfs" = true ] || docker image rm "$rootfs" >/dev/null
