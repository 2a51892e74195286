"""obcdsl: a contract language and rules engine for NHS outcomes-based contracts.

The public API is small and stable: `load`, `loads`, `read_data`, and the
types they return or raise (`Contract`, `Statement`, `Data`, `ContractError`,
`DataError`). `check_path` and `check_text` give the checker's diagnostics
without raising.
"""

__version__ = "0.2.0"

from .api import Contract, ContractError, load, loads  # noqa: E402
from .checker import CheckResult, check_path, check_text  # noqa: E402
from .data import Data, DataError, read_data  # noqa: E402
from .statement import Statement  # noqa: E402

__all__ = [
    "CheckResult", "Contract", "ContractError", "Data", "DataError", "Statement",
    "check_path", "check_text", "load", "loads", "read_data", "__version__",
]
