#!/usr/bin/env bash
# Installs what whittle's tests use: the real tools that read, run and scan
# the images (runc, skopeo, umoci, podman, Syft, Trivy) and validate their
# SBOMs (pyspdxtools, cyclonedx-validate, ntia-checker), GnuPG
# to cross-check signatures, rpm/rpmbuild/rpmsign and createrepo_c for the
# RPM repositories tests build, Debian's archive keyring for the fixture mirror,
# mmdebstrap for the benchmark, and a real OCI registry (distribution's
# docker-registry, with htpasswd for its Basic auth) for the push tests.
# Under CI=true (scripts/test.sh) a test that finds one of these missing
# fails. apk-tools has no Debian 12 package: the one test that runs it skips
# (loudly) where it is absent.
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
# The push tests run distribution's registry (whittle_test::registry) and
# make its bcrypt htpasswd file with apache2-utils' htpasswd.
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
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
# The SBOM validators, pinned, in one virtualenv: pyspdxtools (SPDX 2.3),
# cyclonedx-python-lib's strict JSON-schema validator (CycloneDX 1.6, run
# through scripts/validate-cyclonedx.py, installed as cyclonedx-validate)
# and ntia-checker (NTIA minimum elements; it reads SPDX, not CycloneDX);
# for the signing tests' independent verifier: cryptography (ECDSA P-256),
# PyNaCl (cosign's secretbox key encryption) and sigstore-protobuf-specs
# (the Sigstore bundle's own message types).
# Reinstalled only when the pins change.
pins="spdx-tools==0.8.5 cyclonedx-python-lib[json-validation]==11.12.0 ntia-conformance-checker==6.0.0 cryptography==50.0.2 pynacl==1.6.2 sigstore-protobuf-specs==0.5.2"
[ -x "$cache/venv/bin/python" ] || python3 -m venv "$cache/venv"
if [ "$(cat "$cache/venv/.whittle-pins" 2>/dev/null)" != "$pins" ] \
  || [ ! -x "$cache/venv/bin/pyspdxtools" ] || [ ! -x "$cache/venv/bin/ntia-checker" ]; then
  echo "installing $pins into $cache/venv"
  # shellcheck disable=SC2086 # one argument per pin
  "$cache/venv/bin/pip" install -q $pins
  echo "$pins" > "$cache/venv/.whittle-pins"
fi
validator=$(cd "$(dirname "$0")" && pwd)/validate-cyclonedx.py
{
  echo "#!$cache/venv/bin/python"
  tail -n +2 "$validator"
} > "$cache/venv/bin/cyclonedx-validate.tmp"
chmod 0755 "$cache/venv/bin/cyclonedx-validate.tmp"
mv "$cache/venv/bin/cyclonedx-validate.tmp" "$cache/venv/bin/cyclonedx-validate"

# Syft and Trivy, as ../shared/tools/scanner-check.sh installs them (pinned
# versions, offline once installed): scanning an empty tree fetches them once.
scanner_check=$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/scanner-check.sh
if [ -f "$scanner_check" ]; then
  empty=$(mktemp -d)
  bash "$scanner_check" "$empty" >/dev/null 2>&1 || true
  rmdir "$empty" 2>/dev/null || true
fi
echo "test tools ready (pyspdxtools, cyclonedx-validate, ntia-checker in $cache/venv/bin)"
