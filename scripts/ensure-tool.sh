#!/usr/bin/env bash
# Prints the absolute path of a tool binary, building it once from the Go
# module proxy (a tools module under tools/) into a cache outside the
# repository. Only the path goes to stdout; progress goes to stderr.
#
#   scripts/ensure-tool.sh NAME         path of NAME, built when missing
#   scripts/ensure-tool.sh all-cluster  builds, one after the other, all that
#                                       the local cluster needs, one line
#                                       "NAME SECONDSs PATH" per tool
#   scripts/ensure-tool.sh all          all-cluster, then dapr and skaffold
#   scripts/ensure-tool.sh --background all
#                                       the same, in a process of its own
#                                       at the lowest CPU priority, and
#                                       returns at once (`make test` builds
#                                       so while its first suites run, which
#                                       mostly wait); the log is
#                                       ~/.cache/order-saga/background-build.log
#   scripts/ensure-tool.sh --list       the names, one a line
#
# Order of preference: the environment variable named after the tool
# (upper case, dashes as underscores: $KUBELET, $KUBE_ROUTER, $HELM,
# $DAPR_OPERATOR, ...), then the cached build. The cache is
#   ${XDG_CACHE_HOME:-$HOME/.cache}/order-saga/tools/NAME-VERSION/NAME
# except for the Kubernetes binaries and etcd (order-saga/kube-VERSION/,
# or $KUBE_CACHE_DIR) and daprd (order-saga/daprd-VERSION/, or
# $DAPRD_CACHE_DIR), where scripts/ensure-kube-apiserver.sh and
# scripts/ensure-daprd.sh have always put them.
#
# A cached binary is used when it is executable and the go.sum hash
# recorded beside it (.NAME.gosum) matches its tools module: a new version
# goes to a new directory, a changed pin rebuilds. A binary without a
# recorded hash (built before hashes were recorded) is taken as built from
# the current pins, and the hash is recorded. Builds are CGO_ENABLED=0,
# -trimpath, -ldflags "-s -w" plus the tool's own version flags; a flock per
# tool makes parallel callers build it once, into NAME.tmp renamed when done.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/order-saga"

kube_version="1.36.3"
dapr_version="1.18.1"
dapr_cli_version="1.16.5" # the newest Dapr CLI the module proxy serves
coredns_version="1.14.7"
kube_router_version="2.1.0"
helm_version="3.22.0"
skaffold_version="2.16.1"

cluster_tools=(
  kube-apiserver etcd kubelet kube-proxy kube-scheduler kube-controller-manager kubectl
  coredns kube-router helm
  daprd dapr-operator dapr-sentry dapr-injector dapr-scheduler
)
other_tools=(dapr skaffold) # skaffold last: by far the longest build

usage() {
  echo "usage: $0 NAME | all-cluster | all | --background all | --list" >&2
  echo "names: ${cluster_tools[*]} ${other_tools[*]}" >&2
  exit 2
}

# define NAME sets what building NAME takes: module (under tools/), pkg,
# version, dir (the cache directory), tags, ldflags, about (build time on
# 2 cores, cold).
define() {
  name="$1"
  tags=""
  overlay="" # "MODULE DIR": DIR's files replace the same paths in MODULE
  ldflags="-s -w"
  case "$name" in
    kube-apiserver | kubelet | kube-proxy | kube-scheduler | kube-controller-manager | kubectl | etcd)
      module="kube"
      version="$kube_version"
      dir="${KUBE_CACHE_DIR:-$cache_root/kube-$kube_version}"
      local minor="${kube_version#*.}"
      minor="${minor%%.*}"
      pkg="k8s.io/kubernetes/cmd/$name"
      ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$kube_version
        -X k8s.io/component-base/version.gitMajor=${kube_version%%.*}
        -X k8s.io/component-base/version.gitMinor=$minor
        -X k8s.io/component-base/version.gitTreeState=clean"
      case "$name" in
        kube-apiserver) about="2.5 minutes" ;;
        kube-controller-manager) about="1.5 minutes" ;;
        kubelet | kubectl) about="1 minute" ;;
        *) about="20 seconds" ;;
      esac
      if [ "$name" = etcd ]; then
        # The etcd that k8s.io/kubernetes v1.36.3 pins (3.6.x).
        pkg="go.etcd.io/etcd/server/v3"
        ldflags="-s -w"
      fi
      ;;
    coredns)
      module="coredns"
      version="$coredns_version"
      pkg="github.com/coredns/coredns"
      tags="grpcnotrace" # as CoreDNS's own Makefile builds it
      about="4 minutes"
      ;;
    kube-router)
      module="kube-router"
      version="$kube_router_version"
      pkg="github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
      ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v$version"
      about="4 minutes"
      ;;
    helm)
      module="helm"
      version="$helm_version"
      pkg="helm.sh/helm/v3/cmd/helm"
      # The Kubernetes version flags are added at build time from the
      # client-go that the module selects, as Helm's Makefile does.
      ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=v$version
        -X helm.sh/helm/v3/internal/version.metadata=
        -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      about="3.5 minutes"
      ;;
    daprd)
      module="daprd"
      version="$dapr_version"
      dir="${DAPRD_CACHE_DIR:-$cache_root/daprd-$dapr_version}"
      pkg="github.com/dapr/dapr/cmd/daprd"
      tags="stablecomponents"
      ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$version"
      about="5 to 8 minutes"
      # Its RabbitMQ subscriptions survive a reconnection: see
      # tools/daprd/overlay-contrib/README.md.
      overlay="github.com/dapr/components-contrib tools/daprd/overlay-contrib"
      ;;
    dapr-operator | dapr-sentry | dapr-injector | dapr-scheduler | dapr-placement)
      module="daprd"
      version="$dapr_version"
      pkg="github.com/dapr/dapr/cmd/${name#dapr-}"
      ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$version"
      about="1 minute"
      if [ "$name" = dapr-scheduler ]; then
        # Its health server honours --healthz-listen-address: see
        # tools/daprd/overlay/README.md.
        overlay="github.com/dapr/dapr tools/daprd/overlay"
        about="2 minutes"
      fi
      ;;
    dapr)
      module="dapr-cli"
      version="$dapr_cli_version"
      pkg="github.com/dapr/cli"
      ldflags="-s -w -X main.version=$version -X main.apiVersion=1.0
        -X github.com/dapr/cli/pkg/standalone.gitversion=v$version"
      about="5 minutes"
      ;;
    skaffold)
      module="skaffold"
      version="$skaffold_version"
      pkg="github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold"
      tags="timetzdata,osusergo,netgo,static_build,release" # as its Makefile, for Linux
      ldflags="-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=v$version"
      about="7 to 11 minutes"
      ;;
    *)
      echo "unknown tool: $name" >&2
      usage
      ;;
  esac
  if [ -z "${dir:-}" ]; then
    dir="$cache_root/tools/$name-$version"
  fi
  bin="$dir/$name"
  stamp="$dir/.$name.gosum"
}

# gosum_hash is the hash a cached build is checked against: its tools
# module's go.sum, and for a tool built with an overlay, the overlay's
# files too.
gosum_hash() {
  if [ -z "$overlay" ]; then
    sha256sum "$root/tools/$module/go.sum" | cut -d' ' -f1
    return
  fi
  {
    sha256sum "$root/tools/$module/go.sum"
    (cd "$root/${overlay#* }" && find . -name '*.go' | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -d' ' -f1
}

# patched_module prepares, in $1, a copy of the tool's tools module in
# which $overlay's module is a copy of the pinned version with the
# overlay's files put in place, and prints the copy's path. (`go build
# -overlay` would be simpler, but it refuses files of the module cache.)
patched_module() {
  local mod="${overlay%% *}" files="$root/${overlay#* }" work="$1" moddir
  moddir="$(cd "$root/tools/$module" && GOWORK=off go mod download -json "$mod" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$moddir" ] || { echo "no module directory for $mod" >&2; exit 1; }
  rm -rf "$work"
  mkdir -p "$work"
  cp "$root/tools/$module/go.mod" "$root/tools/$module/go.sum" "$root/tools/$module/"*.go "$work/"
  cp -r "$moddir" "$work/patched"
  chmod -R u+w "$work/patched"
  (cd "$files" && find . -name '*.go' -exec cp --parents {} "$work/patched/" \;)
  (cd "$work" && GOWORK=off go mod edit -replace "$mod=./patched")
  echo "$work"
}

# cached_ok tells whether $bin can be used as it is, recording the go.sum
# hash of a binary that has none yet.
cached_ok() {
  local sum="$1"
  [ -x "$bin" ] || return 1
  if [ -f "$stamp" ]; then
    [ "$(cat "$stamp")" = "$sum" ]
    return
  fi
  write_stamp "$sum"
}

write_stamp() {
  printf '%s\n' "$1" >"$stamp.tmp"
  mv -f "$stamp.tmp" "$stamp"
}

# ensure NAME prints the path of NAME, building it when needed. Run it in a
# subshell: it holds the tool's lock on fd 9 until it exits.
ensure() {
  local dir=""
  define "$1"
  local var
  var="$(tr 'a-z-' 'A-Z_' <<<"$name")"
  local override="${!var:-}"
  if [ -n "$override" ]; then
    if [[ "$override" != */* ]]; then
      override="$(type -P "$override" || true)"
    fi
    if [ -z "$override" ] || [ ! -x "$override" ] || [ -d "$override" ]; then
      echo "\$$var is set to ${!var}, which is not an executable" >&2
      exit 1
    fi
    [[ "$override" = /* ]] || override="$PWD/$override"
    echo "$override"
    return
  fi

  local sum
  sum="$(gosum_hash)"
  if cached_ok "$sum"; then
    echo "$bin"
    return
  fi

  mkdir -p "$dir"
  exec 9>"$dir/.$name.lock"
  flock 9
  if cached_ok "$sum"; then # another caller built it meanwhile
    echo "$bin"
    return
  fi

  if [ "$name" = helm ]; then
    local k8s
    k8s="$(cd "$root/tools/helm" && GOWORK=off go list -m -f '{{.Version}}' k8s.io/client-go)"
    k8s="${k8s#v}" # 0.N.x stands for Kubernetes 1.N
    ldflags="$ldflags
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$((${k8s%%.*} + 1))
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(cut -d. -f2 <<<"$k8s")
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$((${k8s%%.*} + 1))
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(cut -d. -f2 <<<"$k8s")"
  fi

  local src="$root/tools/$module"
  if [ -n "$overlay" ]; then
    src="$(patched_module "$dir/src")"
  fi

  echo "building $name $version into $dir (about $about on 2 cores, once)..." >&2
  (
    cd "$src"
    GOWORK=off CGO_ENABLED=0 go build -trimpath ${tags:+-tags "$tags"} \
      -ldflags "$(tr -s ' \n' ' ' <<<"$ldflags")" -o "$bin.tmp" "$pkg"
  )
  if [ -n "$overlay" ]; then
    rm -rf "$dir/src"
  fi
  mv -f "$bin.tmp" "$bin"
  write_stamp "$sum"
  echo "$bin"
}

ensure_each() {
  local tool start path
  for tool in "$@"; do
    start="$SECONDS"
    path="$( (ensure "$tool"))"
    printf '%-24s %4ss  %s\n' "$tool" "$((SECONDS - start))" "$path"
  done
}

if [ $# -eq 2 ] && [ "$1" = --background ] && [ "$2" = all ]; then
  mkdir -p "$cache_root"
  # Every caller of a tool takes its lock, so one that needs a tool this
  # build is making waits for it, and then uses it, rather than build it
  # again.
  setsid nohup nice -n 19 "$0" all </dev/null >"$cache_root/background-build.log" 2>&1 &
  echo "building the tools of the later suites in the background (log: $cache_root/background-build.log)" >&2
  exit 0
fi
[ $# -eq 1 ] || usage
case "$1" in
  --list) printf '%s\n' "${cluster_tools[@]}" "${other_tools[@]}" ;;
  all-cluster) ensure_each "${cluster_tools[@]}" ;;
  all) ensure_each "${cluster_tools[@]}" "${other_tools[@]}" ;;
  -*) usage ;;
  *) ensure "$1" ;;
esac
