#!/bin/sh
# The scheduled job's steps, runnable anywhere (the workflow beside this
# file runs them, and so does whittle's test suite against a local
# registry):
#
#   1. whittle check    — is the lock stale (a newer package, an edited recipe)?
#                         exit 0 here when it is not: nothing is rebuilt
#   2. whittle lock     — lock again
#   3. whittle publish  — build from the new lock, push every tag, attach the
#                         SBOMs, sign the image and attest its SBOMs and
#                         provenance (--sign)
#   4. whittle verify   — check what the registry now holds with the public key
#
# Settings come from the environment:
#   RECIPE     the recipe                       (required)
#   LOCK       its lock file                    (required; created when missing)
#   IMAGE      repository to push to            (required, e.g. registry.example/team/app)
#   TAGS       tags to push, space-separated    (default: "latest")
#   SIGN_KEY   cosign-format private key        (required; its password in COSIGN_PASSWORD)
#   VERIFY_KEY the matching public key          (required)
#   WHITTLE    the whittle binary               (default: whittle)
#   WHITTLE_REGISTRY_ARGS  extra registry options for publish and verify,
#              e.g. "--registry-ca ca.pem"      (default: none)
#
# Exit status: 0 when the image is current or was rebuilt, signed and
# verified; non-zero when any step failed.
set -eu

: "${RECIPE:?set RECIPE}" "${LOCK:?set LOCK}" "${IMAGE:?set IMAGE}"
: "${SIGN_KEY:?set SIGN_KEY}" "${VERIFY_KEY:?set VERIFY_KEY}"
WHITTLE=${WHITTLE:-whittle}
TAGS=${TAGS:-latest}
WHITTLE_REGISTRY_ARGS=${WHITTLE_REGISTRY_ARGS:-}

if [ -f "$LOCK" ]; then
  set +e
  "$WHITTLE" check "$RECIPE" --lockfile "$LOCK"
  code=$?
  set -e
  case "$code" in
    0) echo "whittle check: $LOCK is current; nothing to rebuild"; exit 0 ;;
    10) echo "whittle check: a rebuild is due" ;;
    *) echo "whittle check failed (exit $code)" >&2; exit "$code" ;;
  esac
else
  echo "no $LOCK yet: locking and building"
fi

"$WHITTLE" lock "$RECIPE" -o "$LOCK"

refs=""
for tag in $TAGS; do
  refs="$refs $IMAGE:$tag"
done
# shellcheck disable=SC2086 # one argument per tag and per registry option
"$WHITTLE" publish "$RECIPE" $refs --lockfile "$LOCK" \
  --sign --key "$SIGN_KEY" --image-refs image-refs.txt $WHITTLE_REGISTRY_ARGS

while read -r ref; do
  # shellcheck disable=SC2086
  "$WHITTLE" verify "$ref" --key "$VERIFY_KEY" $WHITTLE_REGISTRY_ARGS
done < image-refs.txt
echo "published, signed and verified: $(tr '\n' ' ' < image-refs.txt)"
