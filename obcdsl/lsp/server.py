"""The obcdsl language server: each LSP feature wired to the analysis of its document.

Every handler catches its own failure, logs it to the client
(`window/logMessage`) and answers as if there were nothing to say, so that no
text, however broken, stops the server.
"""

from __future__ import annotations

import functools
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..layout import layout
from .analysis import Analysis, analyse
from .completion import completions
from .diagnostics import quick_fixes, to_lsp
from .hover import hover
from .lens import SampleData, code_lenses
from .names import KINDS, rename_problem
from .positions import LineIndex
from .symbols import document_symbols
from .tokens import LEGEND, semantic_tokens

Handler = TypeVar("Handler", bound=Callable[..., Any])
REQUEST_FAILED = types.LSPErrorCodes.RequestFailed.value


class Refused(JsonRpcException):
    """A request the server answers with an error on purpose: a rename to a name that cannot be used."""

    CODE = REQUEST_FAILED


class ObcServer(LanguageServer):
    """The server, with each open document's latest analysis and the sample-data setting."""

    def __init__(self) -> None:
        super().__init__("obcdsl", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}
        self.sample_setting: Any = None
        self.last_check_seconds: Optional[float] = None

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        try:
            self.window_log_message(types.LogMessageParams(kind, message))
        except Exception:  # noqa: BLE001 - the client has gone: nothing to tell
            pass

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def lines(self, analysis: Analysis) -> LineIndex:
        return LineIndex(analysis.text, self.encoding)

    def sample_data(self) -> SampleData:
        roots = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                roots.append(Path(path))
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return SampleData(self.sample_setting, tuple(roots))

    def refresh(self, uri: str) -> Optional[Analysis]:
        """Check the document again if its text changed, and publish its diagnostics."""
        document = self.workspace.get_text_document(uri)
        previous = self.analyses.get(uri)
        started = time.perf_counter()
        analysis = analyse(uri, to_fs_path(uri) or uri, document.source, previous)
        if analysis is not previous:
            self.last_check_seconds = time.perf_counter() - started
        self.analyses[uri] = analysis
        lines = self.lines(analysis)
        diagnostics = [to_lsp(d, lines, uri) for d in analysis.result.diagnostics]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, document.version))
        return analysis

    def analysis(self, uri: str) -> Optional[Analysis]:
        if uri not in self.analyses:
            return self.refresh(uri)
        return self.analyses[uri]

    def name_at(self, uri: str, position: types.Position):
        """The document's analysis, its line index and the name under the cursor (None where there is none)."""
        analysis = self.analysis(uri)
        if analysis is None:
            return None, None, None
        lines = self.lines(analysis)
        return analysis, lines, analysis.names.at(lines.offset(position))

    def guarded(self, fallback: Any) -> Callable[[Handler], Handler]:
        """A handler that logs its failure and answers `fallback`; refusals (JsonRpcException) go to the client."""

        def wrap(handler: Handler) -> Handler:
            @functools.wraps(handler)
            def guarded_handler(params: Any) -> Any:
                try:
                    return handler(params)
                except JsonRpcException:
                    raise
                except Exception:  # noqa: BLE001 - any failure is logged and the server carries on
                    self.log(f"obcdsl: {handler.__name__} failed:\n{traceback.format_exc()}", types.MessageType.Error)
                    return fallback

            return cast(Handler, guarded_handler)

        return wrap


def settings_from(options: Any) -> Any:
    """`obcdsl.sampleData` from initialization options or a configuration change, in any of the shapes clients send."""
    if not isinstance(options, dict):
        return None
    if "sampleData" in options:
        return options["sampleData"]
    if "obcdsl.sampleData" in options:
        return options["obcdsl.sampleData"]
    nested = options.get("obcdsl")
    return settings_from(nested) if isinstance(nested, dict) else None


def build_server() -> ObcServer:
    """The server with every feature registered."""
    server = ObcServer()
    guarded = server.guarded

    @server.feature(types.INITIALIZE)
    @guarded(None)
    def initialize(params: types.InitializeParams) -> None:
        server.sample_setting = settings_from(params.initialization_options)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(None)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        setting = settings_from(params.settings)
        if setting is not None:
            server.sample_setting = setting
            for analysis in server.analyses.values():
                analysis.memo.clear()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(None)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(None)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(None)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        analysis = server.analyses.get(params.text_document.uri)
        if analysis is not None:
            analysis.memo.clear()  # the sample data beside a saved contract may have changed too
        server.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(None)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.analyses.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(params.text_document.uri, []))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(None)
    def on_hover(params: types.HoverParams) -> Optional[types.Hover]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        lines = server.lines(analysis)
        return hover(analysis, lines.offset(params.position), lines)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded([])
    def on_symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None or analysis.result.contract is None:
            return []
        return document_symbols(analysis.result.contract, server.lines(analysis))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(None)
    def on_definition(params: types.DefinitionParams) -> Optional[types.Location]:
        analysis, lines, occurrence = server.name_at(params.text_document.uri, params.position)
        declaration = analysis.names.declaration(occurrence) if occurrence is not None else None
        if declaration is None:
            return None
        return types.Location(params.text_document.uri, lines.offsets(declaration.start, declaration.end))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded([])
    def on_references(params: types.ReferenceParams) -> list[types.Location]:
        analysis, lines, occurrence = server.name_at(params.text_document.uri, params.position)
        if occurrence is None:
            return []
        return [types.Location(params.text_document.uri, lines.offsets(o.start, o.end))
                for o in analysis.names.uses(occurrence) if params.context.include_declaration or not o.declaration]

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @guarded(None)
    def on_prepare_rename(params: types.PrepareRenameParams) -> Optional[types.Range]:
        analysis, lines, occurrence = server.name_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        if occurrence is None or occurrence.kind not in KINDS:
            raise Refused("only the name of an indicator, outcome, bonus, segment, subcontractor or phase can be renamed")
        return lines.offsets(occurrence.start, occurrence.end)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    @guarded(None)
    def on_rename(params: types.RenameParams) -> Optional[types.WorkspaceEdit]:
        analysis, lines, occurrence = server.name_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        if occurrence is None:
            raise Refused("there is no name here to rename")
        if not analysis.current:
            raise Refused("the contract has a syntax error; fix it before renaming, so that every use of the name is found")
        problem = rename_problem(analysis.names, occurrence, params.new_name)
        if problem is not None:
            raise Refused(problem)
        edits = [types.TextEdit(lines.offsets(o.start, o.end), params.new_name) for o in analysis.names.uses(occurrence)]
        return types.WorkspaceEdit(changes={params.text_document.uri: edits})

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" "]))
    @guarded(None)
    def on_completion(params: types.CompletionParams) -> Optional[types.CompletionList]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        lines = server.lines(analysis)
        items = completions(analysis.text, lines.offset(params.position), analysis.contract)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded(None)
    def on_formatting(params: types.DocumentFormattingParams) -> Optional[list[types.TextEdit]]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        formatted = layout(analysis.text)
        if formatted is None:
            return None  # a syntax error: `obcdsl check` reports it, and nothing is moved
        if formatted == server.workspace.get_text_document(params.text_document.uri).source:
            return []
        return [types.TextEdit(server.lines(analysis).whole(), formatted)]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    @guarded(None)
    def on_code_action(params: types.CodeActionParams) -> Optional[list[types.CodeAction]]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        return quick_fixes(analysis.result.diagnostics, server.lines(analysis), params.text_document.uri, params.range)

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    @guarded(None)
    def on_semantic_tokens(params: types.SemanticTokensParams) -> Optional[types.SemanticTokens]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        return types.SemanticTokens(data=semantic_tokens(analysis, server.lines(analysis)))

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    @guarded(None)
    def on_code_lens(params: types.CodeLensParams) -> Optional[list[types.CodeLens]]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        try:
            return code_lenses(analysis, server.sample_data(), server.lines(analysis))
        except Exception as exc:  # noqa: BLE001 - data that cannot be read or paid: no lens, and a word in the log
            server.log(f"obcdsl: no code lens for {analysis.path}: {exc}", types.MessageType.Info)
            return []

    return server
