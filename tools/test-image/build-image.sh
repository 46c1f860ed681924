#!/usr/bin/env bash
# Builds the local test image minicore/busybox:latest (no registry needed): a rootfs tarball holding
# Debian's statically linked /bin/busybox plus a symlink per applet, loaded with `docker import`.
# Idempotent: does nothing when the image already exists (FORCE=1 rebuilds it).
# Env: IMAGE (default minicore/busybox:latest), BUSYBOX (default /bin/busybox from busybox-static),
#      DOCKER_HOST (as for the docker CLI).
set -euo pipefail

image="${IMAGE:-minicore/busybox:latest}"
busybox="${BUSYBOX:-/bin/busybox}"

if [ "${FORCE:-0}" != "1" ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "test image: $image already exists"
  exit 0
fi

[ -x "$busybox" ] || { echo "test image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox (Debian's `busybox` package) would not run in an empty rootfs.
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' && ldd "$busybox" >/dev/null 2>&1; then
  echo "test image: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,root,var/www,home}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
# Every applet this busybox was built with (sh, sleep, echo, cat, env, wget, nc, httpd, true, false, ...).
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
docker import \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["/bin/sh"]' \
  --message "minicore test image: busybox-static $("$busybox" | head -n 1 | awk '{print $2}')" \
  "$work/rootfs.tar" "$image" >/dev/null
echo "test image: built $image ($(docker image inspect --format '{{.Size}}' "$image") bytes)"
