#!/usr/bin/env bash
# make template-check: lint template.yaml, build the Lambda layer, import the built layer in a clean interpreter.
#
# 1. cfn-lint and `sam validate --lint` (tools venv: infra/sam/requirements.txt).
# 2. The layer, for the template's architecture (arm64): `sam build ConnectlessLayer` where a python3.13 exists
#    (no container: pip picks the manylinux aarch64 wheels), else the same with pip's --platform.
# 3. This machine cannot load aarch64 binaries, so the import check runs on an x86_64 build of the same
#    requirements and code: python3.13 -I (no PYTHONPATH, no user site), the layer on sys.path as /opt/python is.
set -euo pipefail
cd "$(dirname "$0")/../.."

SAM_VENV=${SAM_VENV:?set by the Makefile}
VENV_PY=${VENV_PY:-.venv/bin/python}
BUILD=build/layer
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}

step() { printf '\n== %s\n' "$*"; STEP_START=$SECONDS; }
took() { printf '   (%ss)\n' $((SECONDS - STEP_START)); }

find_python313() {
    local candidate
    for candidate in "$(command -v python3.13 2>/dev/null || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
        if [[ -x "$candidate" ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
}

# pip_layer ARCH DEST PYVERSION: the requirements' wheels for manylinux ARCH, plus the library, into DEST/python.
pip_layer() {
    local arch=$1 dest=$2 pyversion=$3
    rm -rf "$dest" && mkdir -p "$dest/python"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check --only-binary=:all: --implementation cp \
        --python-version "$pyversion" --platform "manylinux2014_$arch" --platform "manylinux_2_28_$arch" \
        --target "$dest/python" -r shared/requirements.txt
    "$VENV_PY" -c 'import shutil, sys; shutil.copytree("shared/connectless", sys.argv[1], ignore=shutil.ignore_patterns("__pycache__"))' \
        "$dest/python/connectless"
}

# check_arch DIR ARCH: every compiled extension of the layer is built for ARCH, and connectless.native is there for
# python3.13 on ARCH (its builds for other interpreters sit beside it, each named for its own: never loaded here).
check_arch() {
    local wrong
    wrong=$(find "$1" -name '*.so' ! -name "*$2*" -path '*cpython*' ! -path '*/connectless/native/*' | head -5)
    if [[ -n "$wrong" ]]; then
        echo "not $2: $wrong" >&2
        return 1
    fi
    local module missing=""
    for module in _records _avro; do  # infra/native/build.py's MODULES
        [[ -f "$1/connectless/native/$module.cpython-313-$2-linux-gnu.so" ]] || missing="$missing $module"
    done
    if [[ -z "$missing" ]]; then
        echo "   connectless.native: _records and _avro built for python3.13 $2"
    elif [[ -n "$PY313" ]]; then
        echo "no connectless.native build of$missing for python3.13 $2 (make native)" >&2
        return 1
    else
        echo "   connectless.native: no python3.13 here to build it with; the layer runs its pure-Python path"
    fi
    echo "   compiled extensions: $(find "$1" -name '*.so' -path '*cpython*' | wc -l), all $2"
}

TOTAL_START=$SECONDS
step "cfn-lint template.yaml"
"$SAM_VENV/bin/cfn-lint" template.yaml
took

step "sam validate --lint"
"$SAM_VENV/bin/sam" validate --lint --template-file template.yaml --region "$AWS_DEFAULT_REGION" 2>&1 | grep -v '^$'
took

PY313=$(find_python313)
step "layer build (arm64)"
if [[ -n "$PY313" ]]; then
    echo "   sam build ConnectlessLayer with $PY313"
    PATH="$(dirname "$PY313"):$PATH" "$SAM_VENV/bin/sam" build ConnectlessLayer --template-file template.yaml \
        --build-dir build/sam --cache-dir build/sam-cache --cached 2>&1 | grep -E 'Build Succeeded|Error|error' || true
    test -d build/sam/ConnectlessLayer/python/connectless
    check_arch build/sam/ConnectlessLayer/python aarch64
    test -x build/sam/ConnectlessLayer/python/connectless/runtime/lambda_exec_wrapper  # AWS_LAMBDA_EXEC_WRAPPER
    echo "   the sink's wrapper script (lambda_exec_wrapper) is executable in the layer"
    echo "   $(du -sh build/sam/ConnectlessLayer | cut -f1) unzipped (limit 250M with the functions)"
else
    echo "   no python3.13 here: pip --platform manylinux aarch64 --python-version 3.13"
    pip_layer aarch64 "$BUILD/arm64" 3.13
    check_arch "$BUILD/arm64/python" aarch64
fi
took

step "layer import check (x86_64 copy, clean interpreter)"
if [[ -n "$PY313" ]]; then
    pip_layer x86_64 "$BUILD/x86_64" 3.13
    check_arch "$BUILD/x86_64/python" x86_64
    env -i PATH=/usr/bin:/bin AWS_DEFAULT_REGION="$AWS_DEFAULT_REGION" "$PY313" -I infra/sam/layer_import_check.py "$BUILD/x86_64/python" functions
else
    # Without a 3.13 interpreter the check runs on this machine's Python with a layer built for it.
    local_version=$("$VENV_PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    base_py=$("$VENV_PY" -c 'import sys; print(sys._base_executable)')
    pip_layer x86_64 "$BUILD/x86_64" "$local_version"
    env -i PATH=/usr/bin:/bin AWS_DEFAULT_REGION="$AWS_DEFAULT_REGION" "$base_py" -I infra/sam/layer_import_check.py "$BUILD/x86_64/python" functions
fi
took

printf '\ntemplate-check passed in %ss\n' $((SECONDS - TOTAL_START))
