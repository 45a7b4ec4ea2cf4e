#!/usr/bin/env bash
# ipvs-vm.sh — gokeepalived's IPVS test VM: boot Debian's stock kernel (IPVS
# as modules) under qemu with a tiny busybox initramfs, run one command
# inside, exit 0/1 by the PASS/FAIL marker. Adapted from the team's reference
# harness (shared/tools/ipvs-vm); installs what it needs with apt.
#
# Usage:
#   ipvs-vm.sh EXTRA_DIR 'COMMAND'      # EXTRA_DIR may be '-' for none
#
#   EXTRA_DIR is copied to /extra inside the VM (cwd of COMMAND; /extra and
#   /extra/bin are on PATH). COMMAND runs with /bin/sh -c in the VM as root.
#   Exit status 0 -> "IPVS-VM-RESULT: PASS id=<run id>", else "... FAIL rc=N id=<run id>";
#   the script exits 0 on PASS, 1 on FAIL / timeout / panic / no marker, 2 on usage or setup errors.
#   The console is streamed to stdout (and to $IPVS_VM_LOG if set).
#
# Environment knobs:
#   IPVS_VM_CACHE    kernel cache dir            (default /var/cache/gokeepalived-vm)
#   IPVS_VM_KPKG     kernel package name         (default: what linux-image-amd64 depends on)
#   IPVS_VM_MODULES  extra kernel modules, space-separated (deps resolved)
#   IPVS_VM_BINS     extra host binaries to copy with their libs (e.g. /usr/sbin/keepalived)
#   IPVS_VM_ACCEL    auto|kvm|tcg                (default auto: kvm only if a probe boot works)
#   IPVS_VM_MEM      guest RAM MiB               (default 512)
#   IPVS_VM_SMP      guest vCPUs                 (default 1)
#   IPVS_VM_TIMEOUT  seconds before qemu is killed (default 300)
#   IPVS_VM_APPEND   extra kernel cmdline
#   IPVS_VM_KEEP=1   keep the build dir (printed) for inspection
#   IPVS_VM_NO_INSTALL=1  never apt-get install missing host tools
set -euo pipefail

die() { echo "ipvs-vm: $*" >&2; exit 2; }
log() { echo "ipvs-vm: $*" >&2; }

if [ $# -ne 2 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2
fi
EXTRA_DIR=$1
CMD=$2
[ "$EXTRA_DIR" = - ] || [ -d "$EXTRA_DIR" ] || die "no such dir: $EXTRA_DIR"

CACHE=${IPVS_VM_CACHE:-/var/cache/gokeepalived-vm}
MEM=${IPVS_VM_MEM:-512}
SMP=${IPVS_VM_SMP:-1}
TIMEOUT=${IPVS_VM_TIMEOUT:-300}
ACCEL=${IPVS_VM_ACCEL:-auto}
BASE_MODULES="ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack nf_tables veth bridge"
MODULES="$BASE_MODULES ${IPVS_VM_MODULES:-}"
BINS="/usr/bin/dash /usr/sbin/ip /usr/sbin/ipvsadm ${IPVS_VM_BINS:-}"

# ---------------------------------------------------------------- host tools
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need_pkgs+=(busybox-static)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v depmod >/dev/null || need_pkgs+=(kmod)
[ -x /usr/sbin/ipvsadm ] || need_pkgs+=(ipvsadm)
[ -x /usr/sbin/ip ] || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ -z "${IPVS_VM_NO_INSTALL:-}" ] || die "missing host packages: ${need_pkgs[*]}"
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null ||
      die "apt-get install ${need_pkgs[*]} failed: the IPVS VM needs them (set IPVS_VM_NO_INSTALL=1 to forbid installing)"; }
fi
# busybox-static must be the static one (busybox package is dynamic)
file -L /bin/busybox 2>/dev/null | grep -q dynamic && die "/bin/busybox is dynamic; install busybox-static"

# ------------------------------------------------------------ kernel (cached)
mkdir -p "$CACHE"
KPKG=${IPVS_VM_KPKG:-}
if [ -z "$KPKG" ]; then
  # reuse whatever is cached if present (offline-friendly), else ask apt
  KPKG=$(cat "$CACHE/kpkg" 2>/dev/null || true)
  if [ -z "$KPKG" ]; then
    KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
    if [ -z "$KPKG" ]; then apt-get update -qq >/dev/null 2>&1 || true
      KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'); fi
    [ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
  fi
fi
KDIR=$CACHE/$KPKG
exec 9>"$CACHE/.lock"; flock 9   # concurrent runs share the cache safely
if [ ! -f "$KDIR/.ready" ]; then
  log "fetching $KPKG (apt-get download, not installed on the host)"
  rm -rf "$KDIR"; mkdir -p "$KDIR/deb"
  (cd "$KDIR/deb" && apt-get download "$KPKG" >/dev/null 2>&1) || die "apt-get download $KPKG failed"
  dpkg-deb -x "$KDIR"/deb/*.deb "$KDIR/root"
  KVER=$(ls "$KDIR/root/lib/modules" | head -1)
  # Debian ships no modules.dep in the .deb (postinst runs depmod)
  depmod -b "$KDIR/root" "$KVER"
  rm -f "$KDIR"/deb/*.deb
  echo "$KPKG" > "$CACHE/kpkg"
  touch "$KDIR/.ready"
fi
flock -u 9
KVER=$(ls "$KDIR/root/lib/modules" | head -1)
VMLINUZ=$KDIR/root/boot/vmlinuz-$KVER
[ -f "$VMLINUZ" ] || die "no vmlinuz in $KDIR"

# --------------------------------------------------------------- initramfs
WORK=$(mktemp -d /tmp/ipvs-vm.XXXXXX)
cleanup() { [ -n "${IPVS_VM_KEEP:-}" ] && log "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,var/run,extra}
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
done

# Modules: MODULES are insmod'ed at boot in dependency order; every ip_vs_*
# module (all schedulers, ftp, sip, ...) plus deps is also shipped under
# /lib/modules/$KVER with a depmod'ed modules.dep, so busybox modprobe and the
# kernel's request_module() (e.g. `ipvsadm -s lc` autoloads ip_vs_lc) work.
MROOT=$KDIR/root/lib/modules/$KVER
: > "$R/etc/modules.load"; : > "$WORK/boot.mods"; : > "$WORK/all.mods"
deps_of() {  # prints module paths, deps first
  modprobe -d "$KDIR/root" -S "$KVER" --show-depends "$1" 2>/dev/null | awk '$1=="insmod"{print $2}'
}
for m in $MODULES; do
  d=$(deps_of "$m"); [ -n "$d" ] || die "module $m not found (builtin? typo?)"
  echo "$d" >> "$WORK/boot.mods"
done
for f in "$MROOT"/kernel/net/netfilter/ipvs/*.ko*; do
  b=$(basename "$f"); deps_of "${b%%.ko*}" >> "$WORK/all.mods"
done
cat "$WORK/boot.mods" "$WORK/all.mods" | awk '!seen[$0]++' | while read -r p; do
  rel=${p#"$MROOT"/}; rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}
  mkdir -p "$R/lib/modules/$KVER/$(dirname "$rel")"
  case "$p" in
    *.ko.xz)  xz -dc "$p" > "$R/lib/modules/$KVER/$rel" ;;
    *.ko.zst) zstd -qdc "$p" > "$R/lib/modules/$KVER/$rel" ;;
    *.ko.gz)  gzip -dc "$p" > "$R/lib/modules/$KVER/$rel" ;;
    *)        cp "$p" "$R/lib/modules/$KVER/$rel" ;;
  esac
done
awk '!seen[$0]++' "$WORK/boot.mods" | while read -r p; do
  rel=${p#"$MROOT"/}; rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}; echo "$rel"
done > "$R/etc/modules.load"
cp "$MROOT"/modules.builtin "$MROOT"/modules.order "$R/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$R" "$KVER"
mkdir -p "$R/sbin"; ln -sf /bin/busybox "$R/sbin/modprobe"

# dynamic host binaries + their libs + loader
copy_with_libs() {
  local b=$1 dst
  [ -e "$b" ] || die "no such binary: $b"
  dst=$R$(dirname "$b"); mkdir -p "$dst"; cp -L "$b" "$dst/"
  # static binaries (e.g. CGO_ENABLED=0 Go) have no libs; dlopen()ed libs
  # (NSS, plugins) are not seen by ldd: add them via IPVS_VM_BINS yourself
  for l in $(ldd "$b" 2>/dev/null | grep -oE '/[^ ]+' || true); do
    [ -e "$R$l" ] && continue
    mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"
  done
}
for b in $BINS; do copy_with_libs "$b"; done
# Debian's busybox-static has SH_STANDALONE: its ash runs applets (e.g. the
# limited busybox `ip`) in preference to PATH. So /bin/sh is dash, and real
# iproute2 `ip` replaces the applet link.
ln -sf /usr/bin/dash "$R/bin/sh"
rm -f "$R/bin/ip"; ln -sf /usr/sbin/ip "$R/bin/ip"; ln -sf /usr/sbin/ip "$R/sbin/ip"

if [ "$EXTRA_DIR" != - ]; then cp -a "$EXTRA_DIR"/. "$R/extra/"; fi
printf '%s\n' "$CMD" > "$R/etc/ipvs-vm.cmd"
# per-run id in the marker so test output cannot fake a verdict
RUNID=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'); echo "$RUNID" > "$R/etc/ipvs-vm.runid"
echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
echo 'root:x:0:' > "$R/etc/group"
printf '127.0.0.1 localhost\n' > "$R/etc/hosts"

cat > "$R/init" <<'EOF'
#!/bin/busybox sh
export PATH=/extra/bin:/extra:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts   # rootfs itself is writable: no tmpfs over /tmp (would hide copied files)
mkdir -p /run/netns /var/run/netns 2>/dev/null
echo "ipvs-vm: kernel $(uname -r), loading modules"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
while read -r m; do
  insmod /lib/modules/$(uname -r)/$m 2>/tmp/insmod.err || { grep -q 'File exists' /tmp/insmod.err || { echo "ipvs-vm: insmod $m failed: $(cat /tmp/insmod.err)"; }; }
done < /etc/modules.load
ip link set lo up
echo "ipvs-vm: running command"
echo "=================================================="
cd /extra
/bin/sh -c "$(cat /etc/ipvs-vm.cmd)" </dev/null
rc=$?
echo "=================================================="
id=$(cat /etc/ipvs-vm.runid)
if [ $rc -eq 0 ]; then echo "IPVS-VM-RESULT: PASS id=$id"; else echo "IPVS-VM-RESULT: FAIL rc=$rc id=$id"; fi
sync
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 > "$WORK/initrd.gz")
log "kernel $KVER; initrd $(du -h "$WORK/initrd.gz" | cut -f1) ($(wc -l < "$R/etc/modules.load") modules)"

# -------------------------------------------------------------------- boot
QEMU_COMMON=(-m "$MEM" -smp "$SMP" -nodefaults -no-user-config -display none
  -serial stdio -monitor none -no-reboot -kernel "$VMLINUZ" -initrd "$WORK/initrd.gz")
APPEND="console=ttyS0 quiet panic=-1 ${IPVS_VM_APPEND:-}"

kvm_works() {
  # /dev/kvm may exist but be unusable for a stock kernel (e.g. PVM nested
  # hosts): probe with a trivial boot that must print a marker within 15 s.
  [ -w /dev/kvm ] || return 1
  local p=$WORK/probe; mkdir -p "$p/bin"; cp /bin/busybox "$p/bin/"
  printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-OK\n/bin/busybox poweroff -f\n' > "$p/init"
  chmod +x "$p/init"; (cd "$p" && find . | cpio -o -H newc --quiet | gzip -1 > "$WORK/probe.gz")
  timeout 15 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -no-user-config \
    -display none -serial stdio -monitor none -no-reboot -kernel "$VMLINUZ" \
    -initrd "$WORK/probe.gz" -append "console=ttyS0 quiet panic=-1" </dev/null 2>/dev/null \
    | grep -q KVM-PROBE-OK
}
case "$ACCEL" in
  kvm) ACC=(-accel kvm -cpu host) ;;
  tcg) ACC=(-accel "tcg,thread=multi" -cpu max) ;;
  auto) # probe once per (host kernel, guest kernel); cached, since a failing
        # probe costs its full timeout
        PROBE_CACHE=$CACHE/kvm-probe.$(uname -r).$KPKG
        if [ ! -f "$PROBE_CACHE" ]; then
          if kvm_works; then echo kvm > "$PROBE_CACHE"; else echo tcg > "$PROBE_CACHE"; fi
        fi
        if [ "$(cat "$PROBE_CACHE")" = kvm ]; then ACCEL=kvm; ACC=(-accel kvm -cpu host)
        else ACCEL=tcg; ACC=(-accel "tcg,thread=multi" -cpu max); fi ;;
  *) die "IPVS_VM_ACCEL must be auto|kvm|tcg" ;;
esac
log "booting with $ACCEL (timeout ${TIMEOUT}s)"
CONSOLE=${IPVS_VM_LOG:-$WORK/console.log}
start=$(date +%s.%N)
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 "${ACC[@]}" "${QEMU_COMMON[@]}" \
  -append "$APPEND" </dev/null 2>&1 | tr -d '\r' | tee "$CONSOLE"
qrc=${PIPESTATUS[0]}
set -e
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
if grep -q "IPVS-VM-RESULT: PASS id=$RUNID" "$CONSOLE"; then
  log "PASS ($ACCEL, ${secs}s boot+run)"; exit 0
elif grep -q "IPVS-VM-RESULT: FAIL rc=[0-9]* id=$RUNID" "$CONSOLE"; then
  log "FAIL ($ACCEL, ${secs}s)"; exit 1
else
  log "no result marker (qemu rc=$qrc, ${secs}s; timeout/panic?)"; exit 1
fi
