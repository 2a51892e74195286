"""obcdsl: a contract language and rules engine for NHS outcomes-based contracts."""

__version__ = "0.1.0"

from .checker import CheckResult, check_path, check_text  # noqa: E402

__all__ = ["CheckResult", "check_path", "check_text", "__version__"]
