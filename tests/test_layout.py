"""The layout shows the pipeline: no import cycles, no check importing an evaluator, a light `check`."""

import ast as python_ast
import subprocess
import sys

from conftest import ROOT

PACKAGE = ROOT / "obcdsl"


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """Every obcdsl module a file imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in python_ast.walk(python_ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, python_ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("obcdsl"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, python_ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("obcdsl"))
    return found


def graph():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: sorted(t for t in imports(path) if t in modules and t != name) for name, path in modules.items()}


def test_no_import_cycles():
    edges = graph()
    # a package's __init__ re-exports its modules; its own imports are not a stage of the pipeline
    edges = {k: [t for t in v if not (edges.get(t) is not None and k.startswith(t + "."))] for k, v in edges.items()}
    state: dict = {}
    cycles = []

    def visit(node, path):
        state[node] = "open"
        for target in edges.get(node, []):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target] if target in path else [node, target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in edges:
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_no_check_imports_an_evaluator():
    for path in (PACKAGE / "checks").glob("*.py"):
        assert not {"obcdsl.evaluate", "obcdsl.vector", "obcdsl.simulate"} & imports(path), path.name


def test_checking_contracts_loads_no_numpy_pyarrow_scipy_matplotlib_or_pyspark():
    code = ("import sys; from obcdsl.cli import main; code = main(['check', 'contracts/']); "
            "heavy = [m for m in ('numpy', 'pyarrow', 'scipy', 'matplotlib', 'pyspark', 'obcdsl.spark') if m in sys.modules]; "
            "print(code, heavy)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stdout + result.stderr
