#!/usr/bin/env bash
# Writes services/<dir>/requirements.lock: every third-party package a service's image installs, pinned
# with hashes, resolved by uv from the service's and shared/'s pyproject.toml for CPython 3.11 on
# x86_64 Linux (the image's platform). Run it after changing a pyproject.toml's dependencies:
#   bash deploy/docker/lock.sh          # needs uv (pip install uv); tests/unit/test_images.py checks the locks
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
UV="${UV:-$(command -v uv || echo .venv/bin/uv)}"
declare -A PACKAGES=(
    [records]=bluemap-records [explanations]=bluemap-explanations [documents]=bluemap-documents
    [notifications]=bluemap-notifications [public-portal]=bluemap-portal
)
for dir in "${!PACKAGES[@]}"; do
    # The local packages are installed from the build context; only their dependencies are locked.
    printf './shared\n./services/%s\n' "$dir" |
        "$UV" pip compile - --quiet --generate-hashes --python-version 3.11 \
            --python-platform x86_64-manylinux_2_28 \
            --no-emit-package bluemap-shared --no-emit-package "${PACKAGES[$dir]}" \
            --custom-compile-command "bash deploy/docker/lock.sh" \
            -o "services/$dir/requirements.lock"
    echo "services/$dir/requirements.lock"
done
