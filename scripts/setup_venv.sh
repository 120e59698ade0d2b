#!/usr/bin/env bash
# Creates the virtual environment and installs the pinned dependencies, printing how long
# each step took. uv (pinned, from the package registry) resolves and installs several
# times faster than pip; pip is the fallback whenever uv cannot be had or fails.
#
# torch comes first and always as a CPU build: a wheel of it found in pip's find-links
# folder is installed from that file; otherwise pip installs torch==$TORCH_VERSION with
# the machine's own pip configuration, as before. Never let uv resolve torch from the
# registry by name: on Linux that is the multi-GB CUDA build.
#
# usage: scripts/setup_venv.sh PYTHON VENV [REQUIREMENT ...]
#   (default requirement: the project with its dev extra, editable)
set -euo pipefail

PYTHON=${1:-python3.11}
VENV=${2:-.venv}
shift 2 || true
REQUIREMENTS=("$@")
[ ${#REQUIREMENTS[@]} -gt 0 ] || REQUIREMENTS=(-e ".[dev]")
TORCH_VERSION=2.13.0
UV_VERSION=0.13.8
PY="$VENV/bin/python"
QUIET=(--quiet --disable-pip-version-check)

step_start=0
step() { step_start=$(date +%s); printf '== %s\n' "$1"; }
done_step() { printf '   %s s\n' "$(($(date +%s) - step_start))"; }

step "virtual environment ($PYTHON → $VENV) and installer: uv $UV_VERSION"
UV=""
# A venv without pip (its ensurepip alone takes about 5 s); uv fetched with the
# interpreter's own pip into a scratch folder then installs pip and itself into the venv.
# Otherwise: a venv with pip, and uv installed by that pip if it can be.
boot=$(mktemp -d)
trap 'rm -rf "$boot"' EXIT
if "$PYTHON" -m venv --without-pip "$VENV" &&
  "$PYTHON" -m pip install "${QUIET[@]}" --target "$boot" "uv==$UV_VERSION" >/dev/null 2>&1 &&
  "$boot/bin/uv" pip install --quiet --python "$PY" pip "uv==$UV_VERSION" && [ -x "$VENV/bin/uv" ]; then
  UV="$VENV/bin/uv"
else
  "$PYTHON" -m venv "$VENV"
  if "$PY" -m pip install "${QUIET[@]}" "uv==$UV_VERSION" >/dev/null 2>&1 && [ -x "$VENV/bin/uv" ]; then
    UV="$VENV/bin/uv"
  else
    echo "   uv not available here; installing with pip"
  fi
fi
done_step

step "torch $TORCH_VERSION (CPU build)"
wheel=""
for dir in $("$PY" -m pip config get global.find-links 2>/dev/null || true) ${PIP_FIND_LINKS:-}; do
  [ -d "$dir" ] || continue
  wheel=$(ls "$dir"/torch-"$TORCH_VERSION"+cpu-*.whl 2>/dev/null | head -n 1 || true)
  [ -n "$wheel" ] && break
done
if [ -n "$UV" ] && [ -n "$wheel" ] && "$UV" pip install --quiet --python "$PY" "$wheel"; then
  echo "   from $(basename "$wheel")"
else
  "$PY" -m pip install "${QUIET[@]}" "torch==$TORCH_VERSION"
fi
done_step

step "pinned dependencies (${REQUIREMENTS[*]})"
if [ -z "$UV" ] || ! "$UV" pip install --quiet --python "$PY" "${REQUIREMENTS[@]}"; then
  [ -n "$UV" ] && echo "   uv failed; retrying with pip"
  "$PY" -m pip install "${QUIET[@]}" "${REQUIREMENTS[@]}"
fi
"$PY" -c "import torch; assert '+cpu' in torch.__version__ or not torch.cuda.is_available(), torch.__version__"
done_step
