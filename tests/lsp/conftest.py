"""A client driving the real `obcdsl lsp` over stdio, started once per test module."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .lsp_helpers import ROOT

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "obcdsl", "lsp"])


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=ROOT.as_uri(),
        workspace_folders=[types.WorkspaceFolder(ROOT.as_uri(), "obcdsl")],
    ))
    lsp_client.server_capabilities_seen = result.capabilities  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()
