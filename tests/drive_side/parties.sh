#!/bin/bash
# The drive tier's parties, run by tests/test_drive_tier.py inside `unshare --mount` (so every
# mount below vanishes with the process). Each party acts with the credentials the export gives
# it: the NFS server's start as root in its container; everything that comes through the export
# (kubelet's subPath mkdir, the home init container) as the squash identity 1000:100 with no
# supplementary groups and no capabilities, which is what `all_squash,anonuid=1000,anongid=100`
# makes of every client; with `unsquashed`, as root (the older export). The notebook user is
# 1000:100 either way.
# Prints one line per step: `step NAME OK|FAILED (exit N): output`.
set -u
volume=$1 root=$2 standin=$3 server=$4 init=$5 permitted=$6 unsquashed=${7:-}
step() {
    local name=$1; shift
    local out; out=$("$@" 2>&1); local rc=$?
    if [ $rc -eq 0 ]; then echo "step $name OK: ${out//$'\n'/ | }"; else echo "step $name FAILED (exit $rc): ${out//$'\n'/ | }"; fi
    return 0
}
as_notebook_user() { chroot "$root" setpriv --reuid=1000 --regid=100 --clear-groups "$@"; }
# A client that is root in its pod (kubelet, the init container): squashed, or root.
client() {
    if [ -n "$unsquashed" ]; then chroot "$root" "$@"; else as_notebook_user "$@"; fi
}
mkdir -p "$root"/{usr,etc,exports,hubfleet,home/jovyan,srv/shared,proc} "$root/.ovl/upper" "$root/.ovl/work"
ln -sfn usr/bin "$root/bin"; ln -sfn usr/lib "$root/lib"; ln -sfn usr/lib64 "$root/lib64"; ln -sfn usr/sbin "$root/sbin"
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$root/.ovl/upper,workdir=$root/.ovl/work" "$root/usr" || exit 3
cp "$standin" "$root/usr/bin/nfsd.sh"
mount -t tmpfs tmpfs "$root/etc" && cp /etc/passwd /etc/group "$root/etc/"
mount -t tmpfs -o size=1m tmpfs "$root/hubfleet"
mount -o loop "$volume" "$root/exports" || exit 3

if [ "$server" != "-" ]; then
    step server-start chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        PERMITTED="$permitted" SHARED_DIRECTORY=/exports SYNC=true /bin/sh -c "$(cat "$server")"
    step export cat "$root/etc/exports"
fi
step export-root stat -c '%u:%g %a' "$root/exports"
for user in "${@:8}"; do
    # kubelet makes a missing subPath through the mount (pkg/volume/util/subpath).
    for folder in "$user" _shared; do
        [ -d "$root/exports/$folder" ] || step "kubelet-mkdir-$folder" client mkdir -m 0750 "/exports/$folder"
    done
    mount --bind "$root/exports/$user" "$root/home/jovyan" 2>/dev/null
    mount --bind "$root/exports/_shared" "$root/srv/shared" 2>/dev/null
    step "init-$user" client /bin/sh -c "$(cat "$init")"
    step "write-$user" as_notebook_user /bin/sh -c "echo hello > /home/jovyan/hello-$user.txt && cat /home/jovyan/hello-$user.txt"
    step "home-$user" stat -c '%u:%g %a' "$root/exports/$user"
    umount "$root/home/jovyan" "$root/srv/shared" 2>/dev/null
done
step tree find "$root/exports" -mindepth 1 -not -path "*/lost+found*" -printf '%P %U:%G %m\n'
