#!/usr/bin/env bash
# CI step (separate from the unit tests, it takes minutes): build the Linux
# package from this checkout with installers/linux.sh, then run
# tests/installers/test_linux_package.py on it: unpacked, started with the
# network cut off (unshare -n), the CLI, the embedded model answering a
# question, and the main window opening under Xvfb.
#
#     installers/ci-linux-package.sh
#
# Needs the test venv (.venv, as .ci/run makes it), root or unprivileged user
# namespaces for unshare, and: apt-get install -y xvfb xauth x11-utils
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
installers/linux.sh
deb=$(ls -t dist/ilabdesk_*.deb | head -n 1)
ILABDESK_DEB="$deb" .venv/bin/python -m pytest -p no:cacheprovider -v tests/installers/test_linux_package.py "$@"
