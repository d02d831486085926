#!/usr/bin/env bash
# Prints the path of a daprd 1.18.x, building it from the Go module proxy
# when none is found. Order of preference: $DAPRD, daprd on PATH,
# ~/.dapr/bin/daprd (each used only when it reports 1.18.x), then the build
# cache outside the repository that scripts/ensure-tool.sh keeps (it does
# the build, about 5 to 8 minutes on 2 cores, once).
set -euo pipefail

want_minor="1.18"
root="$(cd "$(dirname "$0")/.." && pwd)"

is_wanted() {
  local bin="$1" out
  [ -x "$bin" ] || return 1
  out="$("$bin" --version 2>/dev/null)" || return 1
  grep -q "^$want_minor\." <<<"$out"
}

for candidate in "${DAPRD:-}" "$(command -v daprd 2>/dev/null || true)" "$HOME/.dapr/bin/daprd"; do
  if [ -n "$candidate" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

# An override that is not 1.18.x falls through to the cache.
DAPRD="" exec "$root/scripts/ensure-tool.sh" daprd
