#!/usr/bin/env bash
# The world seam (see ARCHITECTURE.md): the engine, recipe, solver, world and
# model crates must not depend on a package-world crate, nor name a world's
# types in their sources. A world crate is any crate that implements the
# boundary (depends on whittle-world) other than the engine, the CLI and the
# inspection crate (whittle-audit, which reads every world's databases back).
set -euo pipefail
cd "$(dirname "$0")/.."

neutral=(whittle whittle-recipe whittle-solve whittle-world whittle-model)
worlds=()
for toml in crates/*/Cargo.toml; do
  name=$(basename "$(dirname "$toml")")
  case "$name" in whittle|whittle-cli|whittle-world|whittle-audit|whittle-test*) continue ;; esac
  if grep -qE '^whittle-world(\.workspace| *=)' "$toml"; then worlds+=("$name"); fi
done
[ ${#worlds[@]} -gt 0 ] || { echo "check-world-seam: found no world crates" >&2; exit 1; }

fail=0
pattern=$(printf '%s\n' "${worlds[@]}" | paste -sd'|')
for crate in "${neutral[@]}"; do
  deps=$(cargo tree -q -p "$crate" -e normal,build --prefix none | awk '{print $1}' | sort -u)
  if bad=$(grep -xE "$pattern" <<<"$deps"); then
    echo "check-world-seam: $crate depends on world crate(s): $bad" >&2
    fail=1
  fi
done

# World type names: the world crates' public types and their crate paths.
types=$(for w in "${worlds[@]}"; do
  grep -rhoE 'pub (struct|enum|trait) [A-Z][A-Za-z0-9_]*' "crates/$w/src" | awk '{print $3}'
  echo "${w//-/_}"
done | sort -u | paste -sd'|')
for crate in "${neutral[@]}"; do
  if hits=$(grep -rnwE "$types" "crates/$crate/src" | grep -vE '^\S+:[0-9]+:\s*//'); then
    echo "check-world-seam: $crate names world types:" >&2
    echo "$hits" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] && echo "world seam: ${neutral[*]} depend on none of ${worlds[*]} and name none of their types"
exit "$fail"
