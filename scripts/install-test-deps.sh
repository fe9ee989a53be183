#!/usr/bin/env bash
# Installs what whittle's tests use: the real tools that read, run and scan
# the images (runc, skopeo, umoci, podman, Syft, Trivy, pyspdxtools), GnuPG
# to cross-check signatures, rpm/rpmbuild/rpmsign and createrepo_c for the
# RPM repositories tests build, Debian's archive keyring for the fixture mirror,
# and mmdebstrap for the benchmark. Under CI=true (scripts/test.sh) a test
# that finds one of these missing fails. apk-tools has no Debian 12 package:
# the one test that runs it skips (loudly) where it is absent.
# Idempotent and quick when everything is already there.
set -euo pipefail

need_apt=()
for tool in runc skopeo umoci podman jq gpg gpgv mmdebstrap hyperfine; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need_apt+=(debian-archive-keyring)
# The RPM tests build their repositories with the real tools and check the
# images with the host's rpm (rpm carries rpmbuild and rpmsign).
command -v rpmbuild >/dev/null 2>&1 || need_apt+=(rpm)
command -v createrepo_c >/dev/null 2>&1 || need_apt+=(createrepo-c)
# GNU time (not the shell keyword) reports peak RSS for the memory tests.
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

cache=${WHITTLE_TOOLS_CACHE:-$HOME/.cache/whittle-ci}
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/pyspdxtools" ]; then
  echo "installing spdx-tools into $cache/venv"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q spdx-tools
fi

# Syft and Trivy, as ../shared/tools/scanner-check.sh installs them (pinned
# versions, offline once installed): scanning an empty tree fetches them once.
scanner_check=$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/scanner-check.sh
if [ -f "$scanner_check" ]; then
  empty=$(mktemp -d)
  bash "$scanner_check" "$empty" >/dev/null 2>&1 || true
  rmdir "$empty" 2>/dev/null || true
fi
echo "test tools ready (pyspdxtools in $cache/venv/bin)"
