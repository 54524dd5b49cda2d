#!/usr/bin/env bash
# Builds Debian's own Abseil source (the exact version of libabsl-dev, Debian patches
# applied) with -fsanitize=thread into /opt/baton/absl-tsan/lib.
#
# Why: ThreadSanitizer only sees synchronization in code it instrumented. Debian's
# libabsl is not, so every absl::Mutex (ours, and gRPC's) looks like no lock at all and
# TSan reports races that cannot happen. `--config=tsan` puts this build first on the
# library path; the libraries keep Debian's SONAMEs, so gRPC picks them up too.
# Idempotent: does nothing when the libraries are already there.
set -euo pipefail
prefix=/opt/baton/absl-tsan
[ -f "$prefix/.complete" ] && exit 0
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! grep -rqs "deb-src\|Types: deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  sudo_if_needed tee /etc/apt/sources.list.d/baton-debsrc.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  sudo_if_needed apt-get update -qq
fi
command -v cmake >/dev/null || sudo_if_needed apt-get install -y -qq cmake dpkg-dev

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq "abseil=$(dpkg-query -W -f='${Version}' libabsl-dev)" >/dev/null 2>&1 \
  || apt-get source -qq abseil >/dev/null
src=$(find . -maxdepth 1 -type d -name 'abseil-*' | head -n 1)
cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_STANDARD=17 \
  -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
sudo_if_needed cmake --install build >/dev/null
sudo_if_needed touch "$prefix/.complete"
echo "instrumented Abseil in $prefix/lib"
