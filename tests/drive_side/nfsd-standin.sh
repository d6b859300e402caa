#!/bin/bash
# A stand-in for the start script of docker.io/itsthenetwork/nfs-server-alpine (/usr/bin/nfsd.sh),
# written for hubfleet's drive tier; not the image's code. It keeps the one contract the drive
# chart's command relies on: the script holds the export template below (the image's, from its
# source repository github.com/sjiveson/nfs-server-alpine), writes /etc/exports from it with
# SHARED_DIRECTORY, PERMITTED (a sed expression, so its slash comes escaped) and SYNC, and then
# serves the export. The stand-in stops where the image starts rpc.nfsd: no kernel NFS here.
set -eu
echo "{{SHARED_DIRECTORY}} {{PERMITTED}}(rw,fsid=0,{{SYNC}},no_subtree_check,no_auth_nlm,insecure,no_root_squash)" > /etc/exports
sed -i "s@{{SHARED_DIRECTORY}}@${SHARED_DIRECTORY}@g" /etc/exports
sed -i "s/{{PERMITTED}}/${PERMITTED}/g" /etc/exports
if [ -z "${SYNC+y}" ]; then sed -i "s/{{SYNC}}/async/g" /etc/exports; else sed -i "s/{{SYNC}}/sync/g" /etc/exports; fi
echo "serving: $(cat /etc/exports)"
