#!/usr/bin/env bash
# git_clone.sh SRC DST: clones SRC into DST through git's pack protocol
# (--no-local: upload-pack and pack-objects on one side, index-pack with 8
# threads on the other, connected by pipes), then prints what must be the
# same on every run: the history, the index, the work tree's digest, and
# fsck's verdict. Exit status: non-zero if any step fails.
set -eu
src=$1 dst=$2
git -c pack.threads=8 clone -q --no-local "$src" "$dst"
git -C "$dst" log --format='%H %s' | sha256sum
git -C "$dst" ls-files -s | sha256sum
(cd "$dst" && git ls-files -z | xargs -0 cat | sha256sum)
git -C "$dst" fsck --no-progress --strict && echo "fsck ok"
git -C "$dst" rev-list --count HEAD
