#!/bin/sh
# Renders the diagrams' Graphviz sources into the SVGs committed beside them.
#   docs/diagrams/render.sh [-o OUT_DIR] [FILE.dot ...]
# Without files: every *.dot in this directory. Without -o: each SVG beside its source.
# tests/docs renders into a temporary directory and compares, so a source changed without its
# SVG fails the tests. Needs Graphviz (apt-get install graphviz); the sources ask for the font
# DejaVu Sans (fonts-dejavu-core), so a render is the same on every Debian 12 machine.
set -eu

usage="usage: render.sh [-o OUT_DIR] [FILE.dot ...]"
out=""
if [ "${1:-}" = "-o" ]; then
  out=${2:?$usage}
  shift 2
fi
command -v dot >/dev/null || { echo "render.sh: dot not found (apt-get install graphviz)" >&2; exit 2; }
[ $# -gt 0 ] || set -- "$(cd "$(dirname "$0")" && pwd)"/*.dot

for source in "$@"; do
  [ -f "$source" ] || { echo "render.sh: no such file: $source" >&2; exit 2; }
  name=$(basename "$source" .dot)
  target="${out:-$(dirname "$source")}/$name.svg"
  # Written whole or not at all: a source dot refuses leaves the committed SVG as it was.
  dot -Tsvg "$source" -o "$target.partial" || { rm -f "$target.partial"; echo "render.sh: dot refused $source" >&2; exit 1; }
  mv "$target.partial" "$target"
done
