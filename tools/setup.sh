#!/usr/bin/env bash
# bothy set-up: make sure the host tools and the Python virtualenv are in place.
#
# ./bothy runs this (as a separate process, so `exit` here never kills the
# caller) before every command. Nothing to do is by far the common case, so
# that path prints nothing and stays cheap: shell builtins plus one
# `--version`-style call per tool whose version matters, and one sha256sum.
#
# Test hooks (used by tests/test_setup.py):
#   BOTHY_OS_RELEASE=path    read this instead of /etc/os-release
#   BOTHY_SETUP_SKIP_VENV=1  stop after the host tools; leave .venv alone
#   PATH                     decides which tools count as "present"; root-ness
#                            comes from `id -u`, so a fake `id` can change it
set -euo pipefail

# Everything is keyed off the repository root (this file's parent directory),
# never the caller's cwd. Builtins only: `dirname` would be one more fork.
src=${BASH_SOURCE[0]}
if [[ $src == */* ]]; then src_dir=${src%/*}; else src_dir=.; fi
cd -P -- "$src_dir/.."
BOTHY_ROOT=$PWD

say() { printf 'bothy: %s\n' "$*" >&2; }
die() {
    say "$@"
    exit 1
}

# Command -> Debian/Ubuntu package providing it. python3's venv support is
# probed separately (it is a module, not a command) and maps to python3-venv.
TOOLS=(qemu-system-aarch64 clang ld.lld llvm-objcopy dtc fdtget cpio dpkg-deb)
declare -A PKG_FOR=(
    [qemu-system-aarch64]=qemu-system-arm
    [clang]=clang
    [ld.lld]=lld
    [llvm-objcopy]=llvm
    [dtc]=device-tree-compiler
    [fdtget]=device-tree-compiler
    [cpio]=cpio
    [dpkg-deb]=dpkg
)

# Minimum versions, kept in one place so the messages and the checks agree.
CLANG_MIN=14
QEMU_MIN_MAJOR=7 QEMU_MIN_MINOR=2
PY_MIN_MAJOR=3 PY_MIN_MINOR=11

NEEDS_TEXT="bothy needs these host tools:
  qemu-system-aarch64 >= ${QEMU_MIN_MAJOR}.${QEMU_MIN_MINOR}
  clang >= ${CLANG_MIN}
  ld.lld
  llvm-objcopy
  dtc, fdtget
  cpio
  dpkg-deb
  clang's sanitizer and libFuzzer runtimes (libclang-rt-<clang major>-dev)
  python3 >= ${PY_MIN_MAJOR}.${PY_MIN_MINOR} with the venv module (python3 -m venv)"

have() { command -v -- "$1" >/dev/null 2>&1; }

# Sets PY_VERSION ("" when python3 is absent or unusable) and PY_VENV_OK (1/0).
# One interpreter start answers both questions, because starting Python is
# the slowest part of the no-op path.
probe_python() {
    PY_VERSION='' PY_VENV_OK=0
    have python3 || return 0
    local out rc=0
    # The version goes out before the imports so it is known even when the
    # venv/ensurepip modules are missing (Debian ships them in python3-venv).
    out=$(python3 -c 'import sys
print("%d.%d" % sys.version_info[:2])
try:
    import venv, ensurepip
except ImportError:
    sys.exit(3)' 2>/dev/null </dev/null) || rc=$?
    PY_VERSION=${out%%$'\n'*}
    [[ $PY_VERSION =~ ^[0-9]+\.[0-9]+$ ]] || PY_VERSION=''
    if [[ $rc -eq 0 && -n $PY_VERSION ]]; then PY_VENV_OK=1; fi
}

# The host C unit tests and fuzz targets (tests/test_unit_c.py) link clang's sanitizer and
# libFuzzer runtimes, which Debian ships per clang version in libclang-rt-<major>-dev, apart
# from clang itself. Probed only once clang is there, since the package name needs its version;
# a clang installed by this run is probed on the re-check that follows the install.
probe_clang_runtime() {
    have clang || return 0
    local dir out re='clang version ([0-9]+)\.' arch=${HOSTTYPE:-x86_64}
    dir=$(clang -print-resource-dir 2>/dev/null </dev/null) || dir=''
    # Two layouts: lib/linux/<name>-<arch>.a (clang <= 15) and lib/<triple>/<name>.a (later).
    [[ -n $dir && (-f $dir/lib/linux/libclang_rt.fuzzer-$arch.a ||
        -f $dir/lib/$arch-unknown-linux-gnu/libclang_rt.fuzzer.a ||
        -f $dir/lib/$arch-pc-linux-gnu/libclang_rt.fuzzer.a) ]] && return 0
    out=$(clang --version 2>/dev/null </dev/null) || true
    [[ $out =~ $re ]] || return 0 # check_versions reports an unreadable version
    MISSING_CMDS+=("clang's sanitizer and libFuzzer runtimes")
    MISSING_PKGS+=("libclang-rt-${BASH_REMATCH[1]}-dev")
}

# Fills MISSING_CMDS (human-readable) and MISSING_PKGS (apt package names).
find_missing() {
    MISSING_CMDS=() MISSING_PKGS=()
    local t
    for t in "${TOOLS[@]}"; do
        if ! have "$t"; then
            MISSING_CMDS+=("$t")
            # One package can provide several tools (dtc and fdtget): name it once.
            [[ " ${MISSING_PKGS[*]} " == *" ${PKG_FOR[$t]} "* ]] || MISSING_PKGS+=("${PKG_FOR[$t]}")
        fi
    done
    probe_clang_runtime
    probe_python
    if [[ $PY_VENV_OK -ne 1 ]]; then
        # python3-venv depends on python3, so it covers a missing python3 too.
        MISSING_CMDS+=("python3 -m venv")
        MISSING_PKGS+=(python3-venv)
    fi
}

# Debian-like = ID or ID_LIKE mentions debian or ubuntu. Parsed with builtins;
# values may be quoted, and ID_LIKE may hold several words.
is_debian_like() {
    local file=${BOTHY_OS_RELEASE:-/etc/os-release} key value ids=''
    [[ -r $file ]] || return 1
    while IFS='=' read -r key value || [[ -n $key ]]; do
        case $key in
        ID | ID_LIKE)
            value=${value#[\"\']}
            value=${value%[\"\']}
            ids+=" $value"
            ;;
        esac
    done <"$file"
    local re='[[:space:]](debian|ubuntu)[[:space:]]'
    [[ " $ids " =~ $re ]]
}

install_packages() {
    local pkgs=("$@")
    local hint="sudo apt-get update && sudo apt-get install -y ${pkgs[*]}"

    if ! is_debian_like; then
        say "missing: ${MISSING_CMDS[*]}"
        printf '%s\n' "$NEEDS_TEXT" >&2
        die "this OS is not Debian/Ubuntu, so bothy cannot install them itself; install them with your package manager and re-run."
    fi

    # Never prompt: CI has no stdin, and a password prompt would hang it.
    # So: root runs apt-get directly, passwordless sudo is used if present,
    # anything else gets the exact command to run by hand.
    local runner=()
    if [[ $(id -u) == 0 ]]; then
        runner=(env DEBIAN_FRONTEND=noninteractive)
    elif have sudo && sudo -n true >/dev/null 2>&1 </dev/null; then
        # `env` rather than sudo's VAR=value form, which sudoers may refuse.
        runner=(sudo -n env DEBIAN_FRONTEND=noninteractive)
    else
        say "missing: ${MISSING_CMDS[*]}"
        say "install the packages with:"
        printf '  %s\n' "$hint" >&2
        exit 1
    fi
    have apt-get || die "missing: ${MISSING_CMDS[*]}, and apt-get is not on PATH; install: ${pkgs[*]}"

    say "installing ${pkgs[*]} (apt-get; this can take a few minutes)"
    # apt's output is only interesting when it fails, so it goes to a log
    # that is shown then; otherwise the terminal gets just the line above.
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/bothy-apt.XXXXXX")
    if ! { "${runner[@]}" apt-get update &&
        "${runner[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}"; } \
        >"$log" 2>&1 </dev/null; then
        cat -- "$log" >&2
        rm -f -- "$log"
        die "apt-get failed (output above); to retry by hand: $hint"
    fi
    rm -f -- "$log"
    hash -r # forget cached command locations; the re-check must see new ones
}

# Collects every too-old tool before failing, so one run reports them all.
check_versions() {
    local errors=() out re first

    out=$(clang --version 2>/dev/null </dev/null) || true
    first=${out%%$'\n'*}
    re='clang version ([0-9]+)\.'
    if [[ $out =~ $re ]]; then
        local clang_major=${BASH_REMATCH[1]}
        if ((clang_major < CLANG_MIN)); then
            errors+=("clang ${clang_major} found ($(command -v clang): \"$first\"), but clang >= ${CLANG_MIN} is needed")
        fi
    else
        errors+=("cannot tell clang's version from 'clang --version' (\"$first\"); clang >= ${CLANG_MIN} is needed")
    fi

    out=$(qemu-system-aarch64 --version 2>/dev/null </dev/null) || true
    first=${out%%$'\n'*}
    re='QEMU emulator version ([0-9]+)\.([0-9]+)'
    if [[ $out =~ $re ]]; then
        local qmaj=${BASH_REMATCH[1]} qmin=${BASH_REMATCH[2]}
        if ((qmaj < QEMU_MIN_MAJOR || (qmaj == QEMU_MIN_MAJOR && qmin < QEMU_MIN_MINOR))); then
            errors+=("QEMU ${qmaj}.${qmin} found ($(command -v qemu-system-aarch64): \"$first\"), but qemu-system-aarch64 >= ${QEMU_MIN_MAJOR}.${QEMU_MIN_MINOR} is needed")
        fi
    else
        errors+=("cannot tell QEMU's version from 'qemu-system-aarch64 --version' (\"$first\"); QEMU >= ${QEMU_MIN_MAJOR}.${QEMU_MIN_MINOR} is needed")
    fi

    local pmaj=${PY_VERSION%%.*} pmin=${PY_VERSION#*.}
    if ((pmaj < PY_MIN_MAJOR || (pmaj == PY_MIN_MAJOR && pmin < PY_MIN_MINOR))); then
        errors+=("python3 ${PY_VERSION} found ($(command -v python3)), but python3 >= ${PY_MIN_MAJOR}.${PY_MIN_MINOR} is needed")
    fi

    if ((${#errors[@]})); then
        local e
        for e in "${errors[@]}"; do say "$e"; done
        die "install newer versions (and put them first on PATH), then re-run."
    fi
}

# .venv at the repo root, with this project installed editable. pip is slow
# even when it has nothing to do, so it only runs when pyproject.toml's hash
# differs from the one recorded after the last successful install.
setup_venv() {
    local venv=.venv
    local stamp=$venv/.bothy-installed want have_hash=''

    # No working interpreter = broken or half-made venv (or its base Python
    # was removed, which leaves a dangling symlink): start again.
    if [[ ! -x $venv/bin/python ]]; then
        if [[ -e $venv || -L $venv ]]; then
            say "recreating broken $venv"
            rm -rf -- "$venv"
        else
            say "creating $venv"
        fi
        if ! python3 -m venv "$venv" </dev/null; then
            rm -rf -- "$venv" # so the next run retries from scratch
            die "'python3 -m venv $venv' failed in $BOTHY_ROOT"
        fi
    fi

    want=$(sha256sum pyproject.toml)
    want=${want%% *}
    if [[ -f $stamp ]]; then read -r have_hash <"$stamp" || true; fi
    if [[ $have_hash != "$want" ]]; then
        say "installing Python dependencies into $venv (pip install -e .)"
        # pip's output (including warnings from the machine's own pip configuration) is kept
        # in a log and shown only if the install fails, so set-up stays quiet.
        pip_log=$(mktemp)
        if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check -e . \
            </dev/null >"$pip_log" 2>&1; then
            cat "$pip_log" >&2
            rm -f "$pip_log"
            die "'pip install -e .' failed (output above); fix it and re-run ./bothy setup"
        fi
        rm -f "$pip_log"
        # Written only now, so a failed or interrupted install is retried.
        printf '%s\n' "$want" >"$stamp"
    fi
}

main() {
    find_missing
    if ((${#MISSING_PKGS[@]})); then
        install_packages "${MISSING_PKGS[@]}"
        # Trust but verify: a package that did not provide the command (or a
        # distro that renamed it) must not surface later as a cryptic failure.
        find_missing
        # Only the runtime of a clang this run installed can be new here: one more round.
        if ((${#MISSING_PKGS[@]})) && [[ ${MISSING_PKGS[*]} == libclang-rt-* ]]; then
            install_packages "${MISSING_PKGS[@]}"
            find_missing
        fi
        if ((${#MISSING_CMDS[@]})); then
            say "still missing after installing packages: ${MISSING_CMDS[*]}"
            say "(the packages installed, but these are not on PATH=$PATH)"
            printf '%s\n' "$NEEDS_TEXT" >&2
            exit 1
        fi
    fi
    check_versions
    if [[ ${BOTHY_SETUP_SKIP_VENV:-0} != 1 ]]; then
        setup_venv
    fi
}

main "$@"
