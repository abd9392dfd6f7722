# Shell functions shared by the image's boot, shutdown and recovery scripts (busybox sh).

CFG_MNT=/cfg
CFG_LABEL=TWINCFG
BOOT_LABEL=TWINBOOT
BOOT_MNT=/mnt/boot
RUN=/run/twinbeat
FACTORY=/usr/share/twinbeat/factory-config
# On the FAT partition: root-only files (authkeys must be 0600), scripts executable.
VFAT_OPTS=rw,noatime,uid=0,gid=0,umask=0077,shortname=mixed,flush

# Writes a line to every console that exists (the screen and the serial port), not blocking.
say() {
  for c in /dev/tty1 /dev/ttyS0; do
    [ -c "$c" ] && { printf '%s\n' "$*" > "$c"; } 2>/dev/null
  done
  logger -t twinbeat-init -- "$*" 2>/dev/null || true
}

# Prints a file's meaningful lines: CR (Windows editors) and comments removed, blanks dropped.
config_lines() {
  [ -f "$1" ] || return 0
  tr -d '\r' < "$1" | sed -e 's/#.*$//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d'
}

# Reads one key of network.conf ("key value..."); prints the value of its last occurrence.
netconf_get() {
  config_lines "$RUN/network.conf" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); v = $0 } END { if (v != "") print v }'
}

# The label in a FAT boot sector (FAT12/16 at byte 43, FAT32 at byte 71), trailing blanks removed.
# (Debian's busybox has no blkid; findfs finds only the first match.)
fat_label() {
  if [ "$(dd if="$1" bs=1 skip=82 count=5 2>/dev/null)" = FAT32 ]; then off=71
  else
    case "$(dd if="$1" bs=1 skip=54 count=5 2>/dev/null)" in FAT12|FAT16) off=43 ;; *) return 1 ;; esac
  fi
  dd if="$1" bs=1 skip=$off count=11 2>/dev/null | sed 's/ *$//'
}

# The block devices whose FAT label is $1, one per line (/dev/sda2 ...).
partitions_labelled() {
  awk 'NR > 2 && $4 !~ /^(loop|ram|sr)/ { print $4 }' /proc/partitions | while read -r p; do
    [ -b "/dev/$p" ] && [ "$(fat_label "/dev/$p")" = "$1" ] && echo "/dev/$p"
  done
}
config_partitions() { partitions_labelled "$CFG_LABEL"; }

# Whether a mounted config partition is a recovery stick (it carries recovery instructions or results).
is_recovery_medium() {
  [ -f "$1/recovery.txt" ] || [ -f "$1/RECOVERY.TXT" ] || [ -f "$1/recovery.done" ]
}

# The disk a partition belongs to (sda for sda2, nvme0n1 for nvme0n1p2) and whether it is removable.
disk_of() {
  b=$(basename "$1")
  for d in /sys/block/*; do
    [ -e "$d/$b" ] && { basename "$d"; return; }
  done
  echo "$b"
}
is_removable() {
  [ "$(cat "/sys/block/$(disk_of "$1")/removable" 2>/dev/null)" = 1 ]
}

# Whether an ha.d directory has a configuration at all (ha.cf with at least one directive).
is_configured() {
  [ -n "$(config_lines "$1/ha.cf")" ]
}

# First IPv4 address of an interface (without prefix), or nothing.
ipv4_of() {
  /sbin/ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }'
}

# How long a slot on trial has to become healthy (network.conf "trial_limit SECONDS", default 300).
trial_limit() {
  t=$(netconf_get trial_limit)
  case "$t" in ''|*[!0-9]*) echo 300 ;; *) echo "$t" ;; esac
}

# Spends a trial's one boot: the prepared files (loaders' default back to the good slot, the record
# saying "being tried") replace the live ones, each by copy and rename; the record last.
spend_trial() {
  src=$BOOT_MNT/twinbeat/on-trial-boot
  mount -o remount,rw "$BOOT_MNT" || return 1
  (cd "$src" && find . -type f ! -path ./twinbeat/slots.txt) | while read -r f; do
    mkdir -p "$(dirname "$BOOT_MNT/$f")"
    cp "$src/$f" "$BOOT_MNT/$f.tmp" && mv "$BOOT_MNT/$f.tmp" "$BOOT_MNT/$f"
  done
  cp "$src/twinbeat/slots.txt" "$BOOT_MNT/twinbeat/slots.txt.tmp" && mv "$BOOT_MNT/twinbeat/slots.txt.tmp" "$BOOT_MNT/twinbeat/slots.txt"
  rm -rf "$src"
  sync
  mount -o remount,ro "$BOOT_MNT"
}
