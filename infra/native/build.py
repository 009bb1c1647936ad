"""Build connectless.native's C extension from source (`make native`; `make install` runs it).

    python infra/native/build.py [--check]

Builds, next to its source, each extension module (shared/connectless/native/_records.c, the sink's records;
_avro.c, AvroConverter's flat-record reader) once per interpreter and architecture, each named with the suffix
that interpreter imports (PEP 3149 tags), so the builds live side by side and each Python picks its own:
- the running interpreter (the dev venv's, x86_64 here): gcc (or $CC);
- CPython 3.13 for this machine's architecture (the layer's import check runs on it);
- CPython 3.13 for aarch64, the Lambda layer's (template.yaml: python3.13, arm64): cross-compiled with zig's C
  compiler (the ziglang wheel, a dev dependency) against the 3.13 headers; the two architectures are LP64
  little-endian Linux, so the x86_64 interpreter's pyconfig.h describes aarch64's too.
Without a python3.13 (its headers) or ziglang the builds that need them are skipped with a warning: the library
then runs the pure-Python path there. A build made from the same source with the same command is kept (a hash
beside it says which). `--check` builds nothing and fails when a build is missing or stale.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "shared" / "connectless" / "native"
MODULES = ("_records", "_avro")  # each from HERE / f"{module}.c"
FLAGS = ["-O2", "-fPIC", "-shared", "-fno-strict-aliasing", "-Wall", "-Werror"]
LAMBDA_GLIBC = "2.17"  # older than Amazon Linux 2023's 2.34: the object asks for nothing newer


def python313() -> str | None:
    """A CPython 3.13 interpreter: python3.13 on PATH, else pyenv's."""
    candidates = [shutil.which("python3.13") or ""]
    candidates += sorted(str(p) for p in Path("~/.pyenv/versions").expanduser().glob("3.13*/bin/python3.13"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            check = [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"]
            if subprocess.run(check, capture_output=True, check=False).returncode == 0:  # not a pyenv shim
                return candidate
    return None


def include_of(python: str) -> str:
    return subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"], text=True
    ).strip()


def targets(module: str) -> tuple[list[tuple[list[str], str, Path]], list[str]]:
    """(compiler command, include dir, output) for each build of `module` this machine can make, and why others
    are skipped."""
    cc = os.environ.get("CC", "gcc").split()
    host = platform.machine()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    builds = [(cc, sysconfig.get_paths()["include"], HERE / f"{module}{suffix}")]
    py313 = python313()
    if py313 is None:
        return builds, ["no CPython 3.13 here (python3.13 on PATH or ~/.pyenv/versions/3.13*): no build for the "
                        "Lambda layer's python3.13; the layer then runs the pure-Python path"]  # fmt: skip
    include313 = include_of(py313)
    if sys.version_info[:2] != (3, 13):
        builds.append((cc, include313, HERE / f"{module}.cpython-313-{host}-linux-gnu.so"))
    if host != "aarch64":
        if importlib.util.find_spec("ziglang") is None:
            return builds, ["no ziglang (pip install -e '.[dev]'): no arm64 build for the Lambda layer"]
        zig = [sys.executable, "-m", "ziglang", "cc", "-target", f"aarch64-linux-gnu.{LAMBDA_GLIBC}"]
        builds.append((zig, include313, HERE / f"{module}.cpython-313-aarch64-linux-gnu.so"))
    return builds, []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when a build is missing or older than its source")
    args = parser.parse_args()
    stale = []
    for module in MODULES:
        source = HERE / f"{module}.c"
        builds, skipped = targets(module)
        for reason in skipped if module == MODULES[0] else []:  # the same reasons for every module: said once
            print(f"connectless.native: {reason}", file=sys.stderr)
        for compiler, include, out in builds:
            command = [*compiler, *FLAGS, f"-I{include}", str(source), "-o", str(out)]
            # what the build was made from: the source and the command (a checkout's mtimes say nothing about that)
            digest = hashlib.sha256(source.read_bytes() + "\0".join(command).encode()).hexdigest()
            stamp = out.with_name(f".{out.name}.sha256")
            if out.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").strip() == digest:
                continue
            if args.check:
                stale.append(out.name)
                continue
            print(" ".join(command), flush=True)
            subprocess.run(command, check=True)
            stamp.write_text(digest + "\n", encoding="utf-8")
    if stale:
        print(f"stale or missing: {', '.join(stale)} (run make native)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
