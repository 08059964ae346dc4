#!/usr/bin/env bash
# Creates bindings/python/.venv (if missing), installs maturin, pytest and mypy from PyPI, and builds + installs
# the extension into it (`maturin develop --release`, editable). Used by scripts/test-python and
# scripts/bench-python; needs python3 (>= 3.9), pip and cargo.
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($PY --version 2>&1)"
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    # Debian/Ubuntu ship venv separately (python3-venv); install it when we can, else fall back to virtualenv.
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get update -qq && { apt-get install -y -qq "python${ver}-venv" || apt-get install -y -qq python3-venv; } >/dev/null
      "$PY" -m venv .venv
    else
      "$PY" -m pip install --user -q virtualenv
      "$PY" -m virtualenv -q .venv
    fi
  fi
fi
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
echo "== pip install maturin pytest mypy"
python -m pip install -q --disable-pip-version-check "maturin>=1.16,<2" "pytest>=7" "mypy>=1.10"
echo "== maturin develop --release"
# `postgres` (also in pyproject.toml, for pip builds) is named here too, so that it stays on whether maturin adds
# command-line features to pyproject's or replaces them. AUTHCORE_FEATURES=bench adds the benchmark aids
# (scripts/bench-python); tests build without them.
maturin develop --release --features "postgres${AUTHCORE_FEATURES:+,$AUTHCORE_FEATURES}"
