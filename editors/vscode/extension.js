'use strict';
// The obcdsl extension: starts `obcdsl lsp` over stdio for .obc files.
//
// Highlighting comes from the TextMate grammar and needs none of this. When
// the server cannot be found, or stops, the user gets one message saying why
// and what to do, and nothing is restarted behind their back: the command
// "obcdsl: Restart the Language Server" (or changing a setting) tries again.

const os = require('os');
const vscode = require('vscode');
const { CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn } = require('vscode-languageclient/node');
const server = require('./server');

const SETTINGS = ['obcdsl.serverEnabled', 'obcdsl.serverCommand', 'obcdsl.serverArgs', 'obcdsl.sampleData'];

// vscode-languageclient 9, as it is, pops up its own notice when a server
// fails to start ("couldn't create connection to server") on top of ours, and
// when the server dies while starting it leaves two promises rejected with
// nobody waiting: its start promise, and the stop of a client that never ran.
// Here its errors go to the output channel only, and those promises are caught.
class ObcdslClient extends LanguageClient {
  error(message, data) {
    super.error(message, data, false);
  }

  start() {
    const started = super.start();
    const pending = this._onStart; // set before start() first waits; forgotten, rejected, if the server dies
    if (pending && typeof pending.catch === 'function') {
      pending.catch(() => {});
    }
    return started;
  }

  stop(timeout) {
    return super.stop(timeout).catch((error) => this.info(`nothing to stop: ${error.message}`));
  }
}

let client = null;
let output = null;
let attempt = 0; // each start is an attempt; a message is shown at most once per attempt
let reported = 0;

function log(text) {
  output.appendLine(`[${new Date().toISOString()}] ${text}`);
}

function firstFolder() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 && folders[0].uri.scheme === 'file' ? folders[0].uri.fsPath : undefined;
}

// Shows the message without waiting for the user: a restart must not wait on an unread notice.
function report(thisAttempt, message, actions) {
  if (thisAttempt !== attempt || reported === thisAttempt) {
    return Promise.resolve();
  }
  reported = thisAttempt;
  log(message);
  return Promise.resolve(vscode.window.showWarningMessage(message, ...Object.keys(actions)))
    .then((choice) => (choice && actions[choice] ? actions[choice]() : undefined))
    .catch((error) => log(`the message failed: ${error && error.message ? error.message : error}`));
}

const openSettings = () => vscode.commands.executeCommand('workbench.action.openSettings', 'obcdsl.server');
const showOutput = () => output.show(true);
const turnOff = () =>
  vscode.workspace.getConfiguration('obcdsl').update('serverEnabled', false, vscode.ConfigurationTarget.Global);

async function failed(thisAttempt, command, args, record) {
  await server.waitForExit(record, 1500); // the exit status and last words arrive just after the pipe closes
  report(thisAttempt, server.failureMessage(command, args, record), {
    'Show Output': showOutput,
    'Open Settings': openSettings,
  });
}

async function start() {
  const thisAttempt = ++attempt;
  const config = vscode.workspace.getConfiguration('obcdsl');
  if (!config.get('serverEnabled', true)) {
    log('the language server is turned off (obcdsl.serverEnabled)');
    return;
  }
  const folder = firstFolder();
  const places = { workspaceFolder: folder, home: os.homedir() };
  const command = server.expand(config.get('serverCommand') || 'obcdsl', places);
  const args = (config.get('serverArgs') || ['lsp']).map((arg) => server.expand(arg, places));
  const found = server.findExecutable(command, { cwd: folder });
  if (!found) {
    report(thisAttempt, server.notFoundMessage(command), {
      'Open Settings': openSettings,
      "Don't Start the Server": turnOff,
    });
    return;
  }
  log(`starting ${server.commandLine(found, args)}`);
  const record = server.newRecord();
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'obc' },
      { scheme: 'untitled', language: 'obc' },
    ],
    // the server reads `sampleData` for its code lens; a change of it restarts the server (SETTINGS)
    initializationOptions: { sampleData: config.get('sampleData') || null },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationFailedHandler: () => false,
    errorHandler: {
      error: () => ({ action: ErrorAction.Shutdown, handled: true }),
      closed: () => {
        failed(thisAttempt, command, args, record);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };
  client = new ObcdslClient(
    'obcdsl',
    'obcdsl language server',
    () => server.spawnServer(found, args, { cwd: folder }, record),
    clientOptions,
  );
  const started = client;
  try {
    await started.start();
  } catch (error) {
    record.startError = error;
  }
  if (started.isRunning()) {
    log('the language server is running');
  } else if (thisAttempt === attempt) {
    log('the language server did not start');
    await failed(thisAttempt, command, args, record);
  }
}

async function stop() {
  attempt += 1; // whatever the old server does now is not news
  const old = client;
  client = null;
  if (!old) {
    return;
  }
  try {
    if (old.isRunning()) {
      await old.stop(2000);
    } else {
      await old.dispose(2000);
    }
  } catch (error) {
    log(`stopping the language server: ${error && error.message ? error.message : error}`);
  }
}

// Starts, stops and restarts run one after another, so that two quick changes
// of a setting cannot leave two servers running.
let queue = Promise.resolve();
function serially(task) {
  queue = queue.then(task).catch((error) => log(`the language server: ${error && error.message ? error.message : error}`));
  return queue;
}

function restart() {
  return serially(async () => {
    await stop();
    await start();
  });
}

function activate(context) {
  output = vscode.window.createOutputChannel('obcdsl');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('obcdsl.restartServer', restart),
    vscode.commands.registerCommand('obcdsl.showOutput', showOutput),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (SETTINGS.some((setting) => event.affectsConfiguration(setting))) {
        restart();
      }
    }),
  );
  serially(start); // not awaited: activation, and so highlighting, never waits on the server
}

function deactivate() {
  return serially(stop);
}

module.exports = { activate, deactivate };
