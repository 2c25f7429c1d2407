#!/usr/bin/env bash
# Build the test image composeconv-test/busybox:latest from Debian's busybox-static,
# without a registry: a root file system holding /bin/busybox and its applet links,
# imported into an engine.
#
#   scripts/busybox-image.sh docker [NAME]   import into the engine `docker` talks to
#   scripts/busybox-image.sh podman [NAME]   import into Podman's storage
#   scripts/busybox-image.sh --tar           write the root file system as a tar to stdout
#
# The first argument may also be a path to a docker or podman client. NAME defaults
# to composeconv-test/busybox:latest. BUSYBOX may name another statically linked busybox.
set -euo pipefail

name=composeconv-test/busybox:latest
busybox=${BUSYBOX:-/bin/busybox}

die() {
    echo "busybox-image: $*" >&2
    exit 1
}

[ $# -ge 1 ] || die "usage: $0 docker|podman|--tar [NAME]"
engine=$1
[ $# -ge 2 ] && name=$2

[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" 2>/dev/null | grep -q '=>'; then
    die "$busybox is dynamically linked; install busybox-static"
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/composeconv-busybox.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp" "$root/var/tmp" "$root/home" \
    "$root/proc" "$root/sys" "$root/dev" "$root/run"
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF

if [ "$engine" = --tar ]; then
    tar --numeric-owner --owner=0 --group=0 -C "$root" -c .
    exit 0
fi

case "$(basename "$engine")" in
docker* | podman*) ;;
*) die "unknown engine '$engine' (docker or podman)" ;;
esac
tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    "$engine" import --change "ENV PATH=/bin" --change 'CMD ["sh"]' - "$name" >/dev/null
echo "$name"
