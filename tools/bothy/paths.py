"""Where things live: the repository root and the per-config build directory.

Every output goes under build/<config-name>/ so two configs never share a file.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_ROOT = REPO_ROOT / "build"
DEFAULT_CONFIG = REPO_ROOT / "configs" / "qemu-virt.yaml"


def build_dir_for(config_path: Path) -> Path:
    """build/<config stem>/ for a config file, e.g. build/qemu-virt/."""
    return BUILD_ROOT / config_path.stem


def program_dir(image: str) -> Path | None:
    """Source folder of a VM image: rm/ for the resource manager, tests/guests/<name>/ for a
    bare-metal test guest; None if there is no such program."""
    candidates = [REPO_ROOT / "rm"] if image == "rm" else [REPO_ROOT / "tests" / "guests" / image]
    return next((d for d in candidates if d.is_dir()), None)
