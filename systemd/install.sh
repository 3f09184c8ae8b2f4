#!/usr/bin/env bash
# Install the signage player as systemd services on Raspberry Pi OS or Debian, or remove it.
#
#   sudo systemd/install.sh              install, or update from this checkout
#   sudo systemd/install.sh --demo       also copy the demo campaign into empty content folders
#   sudo systemd/install.sh --uninstall  remove units, venv and /etc/signage/player.yaml
#   sudo systemd/install.sh --uninstall --purge   ...and /etc/signage, /var/lib/signage too
#   systemd/install.sh --root DIR        files only, under DIR (tests): no apt-get, useradd,
#                                        pip, chown or systemctl; prints what it skips
#
# Safe to run again: every file is compared before it is written, each step says "changed"
# or "unchanged", and the last line counts the changes ("changed: 0" on a second run).
# docs/deploy.md walks through a whole installation.
set -euo pipefail

readonly UNITS=(signage-screen.service signage-player.service signage-sync.service signage-feeds.service)
readonly SERVICE_USER=signage
readonly SERVICE_GROUPS=(video render input)
# What the player needs from Debian. SDL itself comes inside the pygame-ce wheel, but its
# KMSDRM driver loads libdrm, libgbm, EGL and GLES at run time, and Mesa's drivers (vc4/v3d
# on a Pi) come with libegl-mesa0 and libgl1-mesa-dri. libgl1 too, found on the emulated
# console box (make box-test): SDL's renderer tries desktop OpenGL first, and without
# libGL.so.1 it ended on its OpenGL ES 1 renderer, which has no render targets.
# v4l-utils brings cec-ctl, which switches the panel off and on over HDMI-CEC (display.on_hours).
# Not chromium: only web-page slides need it (signage-feeds snapshots them), and it is a few
# hundred MB. `sudo apt-get install chromium` on screens that show web pages (docs/feeds.md).
readonly PACKAGES=(
  python3-venv fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji fonts-dejavu-core fontconfig
  libdrm2 libgbm1 libegl1 libgles2 libgl1 libegl-mesa0 libgl1-mesa-dri
  v4l-utils
)
# Console blanking would blank the panel under the player; the cursor would blink in a corner
# between the console and the first frame.
readonly CMDLINE_WORDS=(consoleblank=0 vt.global_cursor_default=0)

ROOT=""
NO_SYSTEM=0
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UNINSTALL=0
PURGE=0
DEMO=0
CHANGES=0
WROTE=0          # set by put_file: 1 when it wrote
UNITS_CHANGED=0  # a unit file changed: daemon-reload and restart
CODE_CHANGED=0   # the venv was (re)installed: restart

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
  echo "Options: --root DIR, --source DIR (default: $SOURCE), --demo, --uninstall, --purge"
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

changed() {
  echo "changed: $*"
  CHANGES=$((CHANGES + 1))
}

unchanged() {
  echo "unchanged: $*"
}

# Only a real installation touches the system beyond files (packages, users, services).
system() {
  ((!NO_SYSTEM))
}

skipped() {
  echo "skipped (--root): $*"
}

parse_args() {
  while (($#)); do
    case "$1" in
      --root) ROOT="${2:?--root needs a folder}"; NO_SYSTEM=1; shift ;;
      --source) SOURCE="${2:?--source needs a folder}"; shift ;;
      --uninstall) UNINSTALL=1 ;;
      --purge) PURGE=1 ;;
      --demo) DEMO=1 ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
  done
  if ((PURGE && !UNINSTALL)); then die "--purge goes with --uninstall"; fi
  if ((NO_SYSTEM)); then
    mkdir -p "$ROOT"
    ROOT="$(cd "$ROOT" && pwd)"
    ROOT="${ROOT%/}"  # "--root /" means the real paths, still without system changes
  elif ((EUID != 0)); then
    die "run it as root (sudo $0), or with --root DIR to install files into a scratch folder"
  fi
  SOURCE="$(cd "$SOURCE" && pwd)"
  [[ -f "$SOURCE/pyproject.toml" && -f "$SOURCE/requirements.txt" && -f "$SOURCE/systemd/signage-player.service" ]] ||
    die "$SOURCE is not a signage checkout (no pyproject.toml, requirements.txt or systemd/ units)"
}

# -- Files ---------------------------------------------------------------------------------

# Put SRC at DEST with MODE, only when the content or the mode differs (so a second run
# leaves every modification time alone). Sets WROTE. Functions here report through globals,
# not exit codes: bash ignores `set -e` inside a function called as an `if` condition.
put_file() {
  local src="$1" dest="$2" mode="$3"
  WROTE=0
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest" && [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
    unchanged "$dest"
    return
  fi
  install -D -m "$mode" "$src" "$dest"
  WROTE=1
  changed "$dest"
}

make_dir() {
  local dir="$1" mode="$2" owner="${3:-}"
  if [[ -d "$dir" ]]; then
    unchanged "$dir/"
  else
    install -d -m "$mode" "$dir"
    changed "$dir/"
  fi
  set_owner "$dir" "$owner"
}

set_owner() {
  local path="$1" owner="$2"
  [[ -n "$owner" ]] || return 0
  if ! system; then
    skipped "chown $owner $path"
  elif [[ "$(stat -c %U:%G "$path")" != "$owner" ]]; then
    chown "$owner" "$path"
    changed "owner of $path is $owner"
  fi
}

install_units() {
  local unit
  for unit in "${UNITS[@]}"; do
    put_file "$SOURCE/systemd/$unit" "$ROOT/etc/systemd/system/$unit" 0644
    if ((WROTE)); then UNITS_CHANGED=1; fi
  done
  # The units' Documentation= points here: `systemctl status` shows it.
  put_file "$SOURCE/docs/deploy.md" "$ROOT/opt/signage/docs/deploy.md" 0644
  put_file "$SOURCE/docs/feeds.md" "$ROOT/opt/signage/docs/feeds.md" 0644
}

# The repository's config with the folders moved to /var/lib/signage and the demo's time zone
# commented out (an installed screen uses the system's zone unless told otherwise).
installed_config() {
  local repo_config="$SOURCE/config/player.yaml"
  echo "# Installed by systemd/install.sh from config/player.yaml. Yours to edit: reinstalling"
  echo "# never overwrites it. Restart the player to apply: sudo systemctl restart signage-player"
  sed -E \
    -e 's|^(playlists:[[:space:]]*)[^[:space:]#]+|\1/var/lib/signage/playlists|' \
    -e 's|^(media:[[:space:]]*)[^[:space:]#]+|\1/var/lib/signage/media|' \
    -e 's|^(state:[[:space:]]*)[^[:space:]#]+|\1/var/lib/signage/state|' \
    -e 's|^(timezone:.*)$|# \1|' \
    "$repo_config"
}

install_config() {
  local dest="$ROOT/etc/signage/player.yaml" draft
  make_dir "$ROOT/etc/signage" 0755
  if [[ -e "$dest" ]]; then
    unchanged "$dest (an existing config is never overwritten)"
    return
  fi
  draft="$(mktemp)"
  installed_config >"$draft"
  # If config/player.yaml ever stops naming the folders, fail here rather than install a
  # config that points the service at the checkout.
  local key
  for key in playlists media state; do
    grep -q "^$key: */var/lib/signage/$key" "$draft" || die "could not set $key in $dest"
  done
  # 0640 root:signage: the player reads it, and it may hold a sync token.
  put_file "$draft" "$dest" 0640
  rm -f "$draft"
  set_owner "$dest" "root:$SERVICE_USER"
}

install_folders() {
  local sub
  make_dir "$ROOT/var/lib/signage" 0755 "$SERVICE_USER:$SERVICE_USER"
  for sub in playlists media state; do
    make_dir "$ROOT/var/lib/signage/$sub" 0755 "$SERVICE_USER:$SERVICE_USER"
  done
  if ((DEMO)); then
    copy_demo playlists
    copy_demo media
  fi
}

# The demo campaign goes only into an empty folder: it is for seeing a new screen play, and
# must never mix with real content (sync never deletes files it did not install).
copy_demo() {
  local sub="$1" dest="$ROOT/var/lib/signage/$1"
  if [[ -n "$(ls -A "$dest")" ]]; then
    unchanged "$dest/ (not empty: no demo content copied)"
    return
  fi
  cp -R "$SOURCE/$sub/." "$dest/"
  changed "$dest/ (demo content)"
  if system; then chown -R "$SERVICE_USER:$SERVICE_USER" "$dest"; fi
}

# The kernel command line is one line of space-separated words; set each KEY=VALUE we need,
# replacing a different value of the same KEY (consoleblank=600 becomes consoleblank=0).
cmdline_with_words() {
  local line="$1" want key word found i
  local -a words out
  read -r -a words <<<"$line"
  out=("${words[@]}")
  for want in "${CMDLINE_WORDS[@]}"; do
    key="${want%%=*}"
    found=0
    for i in "${!out[@]}"; do
      word="${out[$i]}"
      if [[ "${word%%=*}" == "$key" ]]; then out[i]="$want"; found=1; fi
    done
    ((found)) || out+=("$want")
  done
  echo "${out[*]}"
}

configure_console() {
  local file="" candidate line new draft
  # Raspberry Pi OS 12 (bookworm) moved the boot partition to /boot/firmware.
  for candidate in "$ROOT/boot/firmware/cmdline.txt" "$ROOT/boot/cmdline.txt"; do
    if [[ -f "$candidate" ]]; then file="$candidate"; break; fi
  done
  if [[ -z "$file" ]]; then
    unchanged "no cmdline.txt (not a Raspberry Pi): console blanking left as it is"
    return
  fi
  line="$(head -n 1 "$file")"
  new="$(cmdline_with_words "$line")"
  if [[ "$new" == "$line" ]]; then
    unchanged "$file"
    return
  fi
  # A broken cmdline.txt does not boot: keep the first original. Write beside it and rename
  # (the boot partition is FAT: chmod fails there, so no `install -m`).
  [[ -e "$file.before-signage" ]] || cp "$file" "$file.before-signage"
  draft="$(mktemp "$file.XXXXXX")"
  { printf '%s\n' "$new"; tail -n +2 "$file"; } >"$draft"
  chmod --reference="$file" "$draft" 2>/dev/null || true
  mv "$draft" "$file"
  changed "$file (${CMDLINE_WORDS[*]}: a reboot applies them)"
}

# -- System (skipped with --root) ----------------------------------------------------------

install_packages() {
  local pkg missing=()
  if ! system; then skipped "apt-get install ${PACKAGES[*]}"; return; fi
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    unchanged "system packages"
    return
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  changed "installed ${missing[*]}"
}

create_user() {
  local group
  if ! system; then
    skipped "useradd --system $SERVICE_USER (groups ${SERVICE_GROUPS[*]})"
    return
  fi
  # render owns /dev/dri/renderD* on current Debian; older systems may not have it yet.
  for group in "${SERVICE_GROUPS[@]}"; do
    if ! getent group "$group" >/dev/null; then
      groupadd --system "$group"
      changed "group $group"
    fi
  done
  if id "$SERVICE_USER" >/dev/null 2>&1; then
    unchanged "user $SERVICE_USER"
  else
    useradd --system --user-group --home-dir /var/lib/signage --no-create-home \
      --shell /usr/sbin/nologin --comment "signage player" "$SERVICE_USER"
    changed "user $SERVICE_USER"
  fi
  for group in "${SERVICE_GROUPS[@]}"; do
    if ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx "$group"; then
      usermod -a -G "$group" "$SERVICE_USER"
      changed "user $SERVICE_USER in group $group"
    fi
  done
}

# A fingerprint of what pip would install: reinstall only when the checkout changed.
source_fingerprint() {
  (cd "$SOURCE" && find pyproject.toml requirements.txt README.md player -type f -not -path '*/__pycache__/*' -print0 |
    sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

install_venv() {
  local venv="$ROOT/opt/signage/venv" stamp build
  if ! system; then
    skipped "python3 -m venv $venv; $venv/bin/pip install $SOURCE"
    return
  fi
  stamp="$venv/.signage-source"
  if [[ -x "$venv/bin/signage" && -f "$stamp" && "$(cat "$stamp")" == "$(source_fingerprint)" ]]; then
    unchanged "$venv"
    return
  fi
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  # Every screen runs the bytes the tests ran: the dependencies come from the lock file, each
  # checked against its hash (make lock writes it), then the player itself with the locked
  # setuptools and nothing else downloaded.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$SOURCE/requirements.txt"
  # Build from a copy: pip builds in the source tree, and root-owned build/ and egg-info
  # folders would get in the way of whoever owns the checkout.
  build="$(mktemp -d)"
  cp -R "$SOURCE/pyproject.toml" "$SOURCE/README.md" "$SOURCE/player" "$build/"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation "$build"
  rm -rf "$build"
  source_fingerprint >"$stamp"
  CODE_CHANGED=1
  changed "$venv ($("$venv/bin/signage" --version))"
}

# systemd is the init of the running system (not a chroot preparing an SD card image, or a
# container): the documented check, sd_booted(3).
systemd_running() {
  [[ -d /run/systemd/system ]]
}

# After a changed unit or venv, restart what runs the old version.
start_services() {
  local unit
  if ! system; then
    skipped "systemctl daemon-reload; systemctl enable ${UNITS[*]}; systemctl start signage-player signage-feeds"
    return
  fi
  if ! systemd_running; then
    # Installing into an image from a chroot: enable the units (systemctl does that offline),
    # and let the first boot start them.
    for unit in "${UNITS[@]}"; do
      if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        unchanged "$unit enabled"
      else
        systemctl enable --quiet "$unit"
        changed "$unit enabled"
      fi
    done
    echo "not started: systemd is not running here (a chroot?); the services start at the next boot"
    return
  fi
  if ((UNITS_CHANGED)); then systemctl daemon-reload; fi
  for unit in "${UNITS[@]}"; do
    if systemctl is-enabled --quiet "$unit"; then
      unchanged "$unit enabled"
    else
      systemctl enable --quiet "$unit"
      changed "$unit enabled"
    fi
  done
  if ((UNITS_CHANGED || CODE_CHANGED)); then
    systemctl restart signage-player.service
    # Sync runs only once /etc/signage/publisher.pub exists (ConditionPathExists).
    systemctl try-restart signage-sync.service
    systemctl restart signage-feeds.service
    changed "signage-player (re)started"
  elif systemctl is-active --quiet signage-player.service; then
    unchanged "signage-player running"
  else
    systemctl start signage-player.service
    changed "signage-player started"
  fi
  # Feeds runs on every screen (it idles with nothing to fetch), so it is started, not tried.
  if systemctl is-active --quiet signage-feeds.service; then
    unchanged "signage-feeds running"
  else
    systemctl start signage-feeds.service
    changed "signage-feeds started"
  fi
}

# -- The two modes -------------------------------------------------------------------------

install_all() {
  install_packages
  create_user
  install_venv
  install_config
  install_folders
  install_units
  configure_console
  start_services
}

remove_path() {
  local path="$1"
  if [[ -e "$path" || -L "$path" ]]; then
    rm -rf "$path"
    changed "removed $path"
  else
    unchanged "$path (not there)"
  fi
}

uninstall_all() {
  local unit
  if system; then
    for unit in "${UNITS[@]}"; do
      systemctl disable --now --quiet "$unit" 2>/dev/null || true
    done
  else
    skipped "systemctl disable --now ${UNITS[*]}"
  fi
  for unit in "${UNITS[@]}"; do
    remove_path "$ROOT/etc/systemd/system/$unit"
  done
  if system; then systemctl daemon-reload; else skipped "systemctl daemon-reload"; fi
  remove_path "$ROOT/opt/signage"
  if ((PURGE)); then
    # Everything, including the operator's publisher.pub and sync.env, and all content.
    remove_path "$ROOT/etc/signage"
    remove_path "$ROOT/var/lib/signage"
    remove_path "$ROOT/var/cache/signage"
  else
    # Only the file install created; publisher.pub, sync.env and the content stay.
    remove_path "$ROOT/etc/signage/player.yaml"
    rmdir "$ROOT/etc/signage" 2>/dev/null || true
    echo "kept: $ROOT/var/lib/signage (content and state; --purge removes it)"
  fi
  echo "kept: the $SERVICE_USER user, system packages and kernel command line words"
}

main() {
  parse_args "$@"
  if ((UNINSTALL)); then uninstall_all; else install_all; fi
  echo "changed: $CHANGES"
}

main "$@"
