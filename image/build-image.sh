#!/usr/bin/env bash
# Builds the appliance image from dist/twinbeat (npm run build) and Debian packages only:
#   dist/twinbeat-<v>-vmlinuz, dist/twinbeat-<v>-initrd.img   (kernel; initramfs: busybox, modules, libraries, init)
#   dist/twinbeat-<v>.sqfs                                    (squashfs holding the executable; /twinbeat/ on the boot partition)
#   dist/twinbeat-<v>.img                                     (raw disk image: BIOS + UEFI, config partition)
#   dist/twinbeat-<v>.manifest.txt                            (packages and versions, sizes, sha256)
#   dist/twinbeat-<v>.update                                  (signed update bundle: kernel, initramfs, squashfs)
#   dist/twinbeat-<v>.img.zst, dist/SHA256SUMS                (the release: compressed image, checksums of every file)
# No root needed for the image itself (no mounts, no loop devices); apt needs root the first time.
# Usage: bash image/build-image.sh     env: KERNEL_PACKAGE=linux-image-6.1.0-NN-amd64 to pin the kernel
#   TWINBEAT_UPDATE_KEY=/path/release-key.pem   the release signing key (Ed25519 PEM; `twinbeat update keygen`):
#       its public half is baked into the image, the bundle is signed with it. Unset: a throwaway
#       development key pair in dist/dev-update-key/ (made once, reused), labelled as such everywhere.
#   TWINBEAT_VERSION_OVERRIDE=V   version written into the image and bundle (tests build a "newer" one)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
dist=$repo/dist
exe=$dist/twinbeat
work=$dist/image-work
cache=$dist/cache

# Partition sizes (MiB). The boot partition holds the kernel (8 MB) and initramfs (~30 MB) with room
# for a second pair during an update; the config partition is small, text files and bounded logs.
BOOT_MIB=${BOOT_MIB:-128}
CFG_MIB=${CFG_MIB:-64}
# zstd level of the initramfs and squashfs (19: smallest; 3: quick builds while developing).
ZSTD_LEVEL=${ZSTD_LEVEL:-19}
CMDLINE=${CMDLINE:-"console=tty0 console=ttyS0,115200n8 quiet loglevel=3 panic=10"}

log() { printf 'build-image: %s\n' "$*"; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

bash "$here/install-deps.sh" image
[ -x "$exe" ] || die "$exe missing: run npm run build first"
version=$("$exe" --version | awk '{print $2}')
[ -n "$version" ] || die "$exe --version printed nothing"
version=${TWINBEAT_VERSION_OVERRIDE:-$version}

# The update signing key: the release key when given, else a development key that says so.
if [ -n "${TWINBEAT_UPDATE_KEY:-}" ]; then
  update_key=$TWINBEAT_UPDATE_KEY
  [ -r "$update_key" ] || die "TWINBEAT_UPDATE_KEY=$update_key cannot be read"
  update_key_kind=release
else
  update_key=$dist/dev-update-key/update-key.pem
  [ -f "$update_key" ] || "$exe" update keygen "$dist/dev-update-key" \
    --label "DEVELOPMENT KEY made by build-image.sh: throwaway, for tests and dev builds; never sign a release with it" >/dev/null
  update_key_kind="development (throwaway, dist/dev-update-key)"
fi
img=$dist/twinbeat-$version.img

rm -rf "$work"
mkdir -p "$work" "$cache"
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,var/log,var/lib,mnt,cfg,opt/twinbeat,root,www}
manifest=$work/manifest.txt
: > "$manifest"

# Which Debian package owns a file (usrmerge: dpkg knows /lib/... or /usr/lib/...).
owner() {
  local f=$1 p
  for cand in "$f" "$(readlink -f "$f")" "${f#/usr}" "$(readlink -f "$f" | sed 's#^/usr##')"; do
    p=$(dpkg -S "$cand" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$p" ] && { echo "$p"; return; }
  done
  echo "?"
}
record_pkg() { # package reason
  local v
  v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?")
  grep -q "^package $1 " "$manifest" || echo "package $1 $v  # $2" >> "$manifest"
}

# --- kernel: downloaded and unpacked, never installed here.
kpkg=${KERNEL_PACKAGE:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')}
[ -n "$kpkg" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-get update?)"
deb=$(ls "$cache"/"${kpkg}"_*.deb 2>/dev/null | tail -n1 || true)
if [ -z "$deb" ]; then
  log "downloading $kpkg"
  (cd "$cache" && apt-get download "$kpkg" >/dev/null 2>&1) || { apt-get update -qq && (cd "$cache" && apt-get download "$kpkg" >/dev/null); }
  deb=$(ls "$cache"/"${kpkg}"_*.deb | tail -n1)
fi
kver_pkg=$(dpkg-deb -f "$deb" Version)
echo "package $kpkg $kver_pkg  # kernel and modules (unpacked from the .deb)" >> "$manifest"
kroot=$work/kernel
mkdir -p "$kroot"
dpkg-deb -x "$deb" "$kroot"
kver=$(ls "$kroot/lib/modules")
depmod -b "$kroot" "$kver"
cp "$kroot/boot/vmlinuz-$kver" "$work/vmlinuz"

# --- modules: the listed ones and what they depend on.
mods=()
while read -r kind name _; do
  case "$kind" in always|hw) mods+=("$name") ;; esac
done < "$here/modules.txt"
: > "$work/modfiles"
for m in "${mods[@]}"; do
  if ! modprobe -d "$kroot" -S "$kver" --show-depends "$m" >> "$work/modfiles" 2>/dev/null; then
    log "note: module $m not in $kpkg (built in or renamed): skipped"
  fi
done
awk '$1 == "insmod" { print $2 }' "$work/modfiles" | sort -u | while read -r f; do
  rel=${f#"$kroot"}
  mkdir -p "$root$(dirname "$rel")"
  cp "$f" "$root$rel"
done
cp "$kroot/lib/modules/$kver/modules.order" "$kroot/lib/modules/$kver/modules.builtin" "$kroot/lib/modules/$kver/modules.builtin.modinfo" "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
mkdir -p "$root/etc/twinbeat"
awk '$1 == "always" { print $2 }' "$here/modules.txt" > "$root/etc/twinbeat/modules.always"

# --- busybox (static) and its applets as links.
cp /bin/busybox "$root/bin/busybox"
record_pkg busybox-static "shell, init, mount, modprobe, udhcpc, syslogd, httpd, acpid"
for a in $("$root/bin/busybox" --list-full); do
  [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
ln -sf /bin/busybox "$root/init"

# --- dynamically linked tools from Debian packages, with their libraries (ldd closure).
copy_elf() { # file [dest]
  local src=$1 dest=${2:-$1} lib
  mkdir -p "$root$(dirname "$dest")"
  rm -f "$root$dest"
  cp -L "$src" "$root$dest"
  for lib in $(ldd "$src" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
    record_pkg "$(owner "$lib")" "library of $(basename "$src")"
  done
}
copy_elf /usr/bin/ip /sbin/ip;                         record_pkg iproute2 "ip -j (IP agents)"
copy_elf /usr/sbin/arping /usr/sbin/arping;            record_pkg "$(owner /usr/sbin/arping)" "gratuitous ARP"
copy_elf /usr/libexec/heartbeat/send_ua;               record_pkg resource-agents "send_ua (IPv6 NA)"
copy_elf /usr/sbin/fsck.fat /usr/sbin/fsck.fat;        record_pkg dosfstools "fsck.fat of the config partition at boot (in image); mkfs.vfat (build)"
# The executable's libraries (it is dynamically linked like node); the executable itself goes in the squashfs.
for lib in $(ldd "$exe" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
  record_pkg "$(owner "$lib")" "library of twinbeat (node)"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not copied"

# --- the executable in a squashfs on the boot partition (zstd: quick to read under emulation and on
#     slow CPUs). Not inside the initramfs: unpacking 26 MB more into RAM does not fit reliably in 256 MB
#     under UEFI. The initramfs knows which squashfs is its own by the md5 of the superblock.
mkdir -p "$work/sqfs"
cp "$exe" "$work/sqfs/twinbeat"
mksquashfs "$work/sqfs" "$work/twinbeat.sqfs" -comp zstd -Xcompression-level "$ZSTD_LEVEL" -b 1M -noappend -quiet -all-root >/dev/null
record_pkg squashfs-tools "mksquashfs (build)"
mkdir -p "$root/etc/twinbeat"
dd if="$work/twinbeat.sqfs" bs=96 count=1 status=none | md5sum | cut -c1-32 > "$root/etc/twinbeat/sqfs.id"
ln -s /opt/twinbeat/twinbeat "$root/usr/sbin/twinbeat"
for n in heartbeat hb_standby hb_takeover cl_status; do ln -s /opt/twinbeat/twinbeat "$root/usr/sbin/$n"; done
mkdir -p "$root/usr/lib/heartbeat" "$root/usr/share/heartbeat"
ln -s /usr/sbin/hb_standby "$root/usr/share/heartbeat/hb_standby"
ln -s /usr/sbin/hb_takeover "$root/usr/share/heartbeat/hb_takeover"

# --- overlay: init scripts, status page, recovery; the factory config.
cp -a "$here/overlay/." "$root/"
mkdir -p "$root/usr/share/twinbeat"
cp -a "$here/config-template" "$root/usr/share/twinbeat/factory-config"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "$version"
  echo "commit $commit$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo '+changes')"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel $kver ($kpkg $kver_pkg)"
  echo "node $(awk -F'"' '/nodeVersion/ { print $4 }' "$dist/build/manifest.json" 2>/dev/null)"
} > "$root/etc/twinbeat-release"
# The public key update bundles must be signed with (update-keys/<id>.pub; `twinbeat update verify`).
update_pub=$work/update-key.pub
update_key_id=$("$exe" update pubkey "$update_key" "$update_pub")
mkdir -p "$root/etc/twinbeat/update-keys"
cp "$update_pub" "$root/etc/twinbeat/update-keys/$update_key_id.pub"
echo "update-key $update_key_id $update_key_kind" >> "$root/etc/twinbeat-release"
# /var/run is /run: the tools' default run dir (/var/run/heartbeat) is where the daemon runs.
rm -rf "$root/var/run" && ln -s /run "$root/var/run"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"

# --- initramfs: newc cpio, zstd (the kernel has RD_ZSTD); owned by root whatever the builder is.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -"$ZSTD_LEVEL" -T0 > "$work/initrd.img"
record_pkg cpio "initramfs archive (build)"
# The update bundle: this slot's three files, signed (the same bytes the image boots).
"$exe" update make "$dist/twinbeat-$version.update" --key "$update_key" --dir "$work" --version "$version" --commit "$commit" >/dev/null
record_pkg zstd "initramfs compression (build)"
cp "$work/vmlinuz" "$dist/twinbeat-$version-vmlinuz"
cp "$work/initrd.img" "$dist/twinbeat-$version-initrd.img"
cp "$work/twinbeat.sqfs" "$dist/twinbeat-$version.sqfs"

# --- the raw disk image: MBR, p1 = boot (FAT32, type EF, active: syslinux + systemd-boot),
#     p2 = config (FAT16, label TWINCFG). Built in a file: sfdisk, mkfs.vfat --offset, mtools, syslinux --offset.
sector=512
p1_start=2048
p1_sectors=$((BOOT_MIB * 1024 * 1024 / sector))
p2_start=$((p1_start + p1_sectors))
p2_sectors=$((CFG_MIB * 1024 * 1024 / sector))
total=$((p2_start + p2_sectors))
tmpimg=$work/disk.img
rm -f "$tmpimg"
truncate -s $((total * sector)) "$tmpimg"
sfdisk --quiet "$tmpimg" <<EOF
label: dos
label-id: 0x7b1b0c0d
start=$p1_start, size=$p1_sectors, type=ef, bootable
start=$p2_start, size=$p2_sectors, type=e
EOF
record_pkg fdisk "sfdisk (build)"
# (mkfs.vfat warns that the file is larger than the partition: that is the point of --offset.)
mkfs.vfat -F 32 -n TWINBOOT -i 7b1b0001 --offset $p1_start "$tmpimg" $((p1_sectors / 2)) 2>&1 >/dev/null | grep -v 'block count mismatch' >&2 || true
mkfs.vfat -F 16 -n TWINCFG -i 7b1b0002 --offset $p2_start "$tmpimg" $((p2_sectors / 2)) 2>&1 >/dev/null | grep -v 'block count mismatch' >&2 || true
boot="$tmpimg@@$((p1_start * sector))"
cfgp="$tmpimg@@$((p2_start * sector))"
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0
# Slot a holds this build; slot b is empty until the first `twinbeat update apply`. The slot record
# (/twinbeat/slots.txt) and every boot loader file come from the executable's own generator, the
# same code that rewrites them on the appliance (appliance/src/update/boot-loader-config.ts).
mmd -i "$boot" ::/twinbeat ::/twinbeat/a ::/syslinux ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$boot" "$work/vmlinuz" ::/twinbeat/a/vmlinuz
mcopy -i "$boot" "$work/initrd.img" ::/twinbeat/a/initrd.img
mcopy -i "$boot" "$work/twinbeat.sqfs" ::/twinbeat/a/twinbeat.sqfs
rm -rf "$work/bootfs"
"$exe" update init-slots "$work/bootfs" --version "$version" --cmdline "$CMDLINE"
mcopy -i "$boot" "$work/bootfs/twinbeat/slots.txt" ::/twinbeat/slots.txt
mcopy -i "$boot" "$work/bootfs/syslinux/syslinux.cfg" ::/syslinux/syslinux.cfg
mcopy -i "$boot" "$work/bootfs/loader/loader.conf" ::/loader/loader.conf
mcopy -i "$boot" "$work/bootfs"/loader/entries/*.conf ::/loader/entries/
mcopy -i "$boot" /usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
record_pkg systemd-boot-efi "UEFI boot loader (in image)"
cp "$root/etc/twinbeat-release" "$work/RELEASE.TXT"
mcopy -i "$boot" "$work/RELEASE.TXT" ::/RELEASE.TXT
syslinux --offset $((p1_start * sector)) --directory /syslinux --install "$tmpimg"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$tmpimg" bs=440 count=1 conv=notrunc status=none
record_pkg syslinux "BIOS boot loader installer (build)"
record_pkg syslinux-common "mbr.bin, ldlinux (in image)"
record_pkg mtools "FAT writes without mounting (build)"
# The config partition: the factory (empty) configuration.
(cd "$here/config-template" && mcopy -i "$cfgp" -s -Q ./* ::/)
mmd -i "$cfgp" ::/logs ::/state ::/backups
mv "$tmpimg" "$img"

# --- manifest with sizes and checksums.
{
  echo "twinbeat $version image"
  cat "$root/etc/twinbeat-release" | sed 's/^/release: /'
  echo "files:"
  for f in "$img" "$dist/twinbeat-$version.update" "$dist/twinbeat-$version-vmlinuz" "$dist/twinbeat-$version-initrd.img" "$dist/twinbeat-$version.sqfs" "$exe"; do
    printf '  %s %s bytes sha256 %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
  done
  printf '  initramfs unpacked %s KiB\n' "$(du -sk "$root" | cut -f1)"
  printf '  partitions: boot %s MiB (FAT32, TWINBOOT), config %s MiB (FAT16, TWINCFG)\n' "$BOOT_MIB" "$CFG_MIB"
  echo "kernel command line: $CMDLINE"
  echo "update key: $update_key_id, $update_key_kind"
  echo "Debian packages:"
  sed 's/^package /  /' "$manifest"
} > "$dist/twinbeat-$version.manifest.txt"
# --- the release: the raw image compressed (mostly free space: 193 MiB to ~40 MB), and checksums.
zstd -q -f -"${RELEASE_ZSTD_LEVEL:-19}" -T0 "$img" -o "$img.zst"
(cd "$dist" && sha256sum "twinbeat-$version.img" "twinbeat-$version.img.zst" "twinbeat-$version.update" \
  "twinbeat-$version-vmlinuz" "twinbeat-$version-initrd.img" "twinbeat-$version.sqfs" "twinbeat-$version.manifest.txt" > SHA256SUMS)
rm -rf "$kroot" "$work/sqfs"   # 400 MB of unpacked kernel modules; the .deb stays in dist/cache
log "$(basename "$img"): $(du -h --apparent-size "$img" | cut -f1) (initramfs $(du -h "$work/initrd.img" | cut -f1), kernel $(du -h "$work/vmlinuz" | cut -f1))"
log "manifest: dist/twinbeat-$version.manifest.txt"
log "release: $(basename "$img").zst $(du -h --apparent-size "$img.zst" | cut -f1), SHA256SUMS (check: cd dist && sha256sum -c SHA256SUMS)"
