#!/usr/bin/env bash
# Prints the path of a daprd 1.16.x, building it from the Go module proxy
# when none is found. Order of preference: $DAPRD, daprd on PATH,
# ~/.dapr/bin/daprd, then the build cache outside the repository.
set -euo pipefail

want_minor="1.16"
version="1.16.5"
cache_dir="${DAPRD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-saga/daprd-$version}"
root="$(cd "$(dirname "$0")/.." && pwd)"

is_wanted() {
  local bin="$1"
  [ -x "$bin" ] || return 1
  "$bin" --version 2>/dev/null | grep -q "^$want_minor\."
}

for candidate in "${DAPRD:-}" "$(command -v daprd 2>/dev/null || true)" "$HOME/.dapr/bin/daprd" "$cache_dir/daprd"; do
  if [ -n "$candidate" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

mkdir -p "$cache_dir"
# One build at a time: test binaries that start stacks call this at once.
exec 9>"$cache_dir/.build-lock"
flock 9
if is_wanted "$cache_dir/daprd"; then
  echo "$cache_dir/daprd"
  exit 0
fi
echo "building daprd $version into $cache_dir (about 3 to 5 minutes on 2 cores)..." >&2
(
  cd "$root/tools/daprd"
  GOWORK=off CGO_ENABLED=0 go build -trimpath -tags stablecomponents \
    -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$version" \
    -o "$cache_dir/daprd.tmp" github.com/dapr/dapr/cmd/daprd
)
mv "$cache_dir/daprd.tmp" "$cache_dir/daprd"
echo "$cache_dir/daprd"
