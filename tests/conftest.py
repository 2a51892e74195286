import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
BROKEN = Path(__file__).resolve().parent / "broken"

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture
def reference_contracts():
    return sorted(CONTRACTS.glob("*.obc"))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden files under tests/golden from what obcdsl prints now")


@pytest.fixture
def golden(request):
    """Compare text with a golden file, or (with --update-golden) write it."""
    update = request.config.getoption("--update-golden")

    def compare(path: Path, text: str) -> None:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path.name}; run `pytest --update-golden` and review the new file"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{path.name} differs from its golden file; if the change is meant, run `pytest --update-golden`"

    return compare
