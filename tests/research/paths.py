"""Where the shared benchmark data lives: ``shared/`` beside the checkout (as in CI)."""

from pathlib import Path

PSPLIB = Path(__file__).resolve().parents[3] / "shared" / "psplib"
