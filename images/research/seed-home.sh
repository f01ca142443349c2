#!/usr/bin/env bash
# Seed a person's work folder with the platform's notebooks on the first start, as the
# hub's local spawner does (hub/home.py): examples/ and templates/ are copied once, a
# file already there is never overwritten, and strategies/ is created for their own work.
# A marker file records the first start, so notebooks a person deletes stay deleted.
#   seed-home.sh [WORK_DIR]   (default: $HOME/work; notebooks from $TAORUI_NOTEBOOKS)
set -euo pipefail
work="${1:-${HOME}/work}"
source_dir="${TAORUI_NOTEBOOKS:-/opt/taorui/notebooks}"
marker="${work}/.taorui-seeded"
mkdir -p "${work}/strategies"
if [ -e "${marker}" ]; then
    exit 0
fi
for name in examples templates; do
    if [ -d "${source_dir}/${name}" ]; then
        mkdir -p "${work}/${name}"
        cp -R -n "${source_dir}/${name}/." "${work}/${name}/"
    fi
done
echo "notebooks copied from the platform on the first start" > "${marker}"
