#!/bin/bash
# The server tier's pod filesystem, run by tests/test_server_tier.py inside `unshare --mount`
# (every mount vanishes with the process): /etc and /usr/local/etc become private overlays, each file of the pod's
# `singleuser` Secret is bind-mounted at its mount path (as kubelet does with a subPath), and the
# probe runs as the notebook user (1000:100) with its home in the test's folder. A folder on the
# way to the interpreter that only root may enter (a Python under /root) is opened the same way,
# in a private overlay.
# Arguments: WORK PYTHON PROBE PORT [SOURCE TARGET]...
set -eu
work=$1 python=$2 probe=$3 port=$4; shift 4
mkdir -p "$work/home" "$work/root"
overlay() {  # overlay FOLDER NAME: FOLDER becomes a private, writable copy of itself
    mkdir -p "$work/$2/upper" "$work/$2/work"
    mount -t overlay overlay -o "lowerdir=$1,upperdir=$work/$2/upper,workdir=$work/$2/work" "$1"
}
overlay /etc etc
mkdir -p /usr/local/etc && overlay /usr/local/etc local-etc
folder=$(dirname "$(readlink -f "$python")") index=0
while [ "$folder" != / ]; do
    if [ $(( 8#$(stat -c %a "$folder") & 1 )) -eq 0 ]; then
        index=$((index + 1)); overlay "$folder" "open-$index"; chmod o+x "$folder"
    fi
    folder=$(dirname "$folder")
done
while [ $# -ge 2 ]; do
    mkdir -p "$(dirname "$2")" && : > "$2" && mount --bind "$1" "$2"
    shift 2
done
chown -R 1000:100 "$work/home" "$work/root"
exec setpriv --reuid=1000 --regid=100 --clear-groups env -i PATH=/usr/bin:/bin HOME="$work/home" \
    "$python" "$probe" "$work/root" "$port"
