'use strict';
// The client's behaviour when obcdsl is missing, too old, crashes, or works,
// run under plain node with test/vscode-stub.js standing in for VS Code and
// the real vscode-languageclient talking to small fake servers.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { test, afterEach } = require('node:test');

const STUB = path.join(__dirname, 'vscode-stub.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? STUB : resolve.call(this, request, ...rest);
};

// OBCDSL_EXTENSION_DIR runs these tests on an unpacked .vsix instead of the source folder.
const EXTENSION = process.env.OBCDSL_EXTENSION_DIR || path.join(__dirname, '..');
const vscode = require('vscode');
const server = require(path.join(EXTENSION, 'server.js'));
const extension = require(path.join(EXTENSION, 'extension.js'));

const state = vscode.__state;
const FAKE = path.join(__dirname, 'fake-servers');

function reset(settings) {
  state.settings = settings;
  state.messages = [];
  state.updates = [];
  state.executed = [];
  state.output = [];
  state.configurationListeners = [];
  state.commands.clear();
}

function context() {
  return { subscriptions: [] };
}

async function until(condition, milliseconds = 8000) {
  const deadline = Date.now() + milliseconds;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 2500)); // longer than the client waits for an exit status

afterEach(async () => {
  await extension.deactivate();
});

test('no obcdsl: one message, naming the command and the fix, and no server', async () => {
  reset({ 'obcdsl.serverCommand': 'obcdsl-that-is-not-installed' });
  extension.activate(context());
  await until(() => state.messages.length > 0);
  await settle();
  assert.equal(state.messages.length, 1, JSON.stringify(state.messages));
  const [shown] = state.messages;
  assert.equal(shown.kind, 'warning');
  assert.match(shown.text, /`obcdsl-that-is-not-installed` was not found/);
  assert.match(shown.text, /Highlighting still works/);
  assert.match(shown.text, /pip install obcdsl/);
  assert.match(shown.text, /obcdsl\.serverCommand/);
  assert.deepEqual(shown.actions, ['Open Settings', "Don't Start the Server"]);
});

test("\"Don't Start the Server\" turns it off in the user's settings", async () => {
  reset({ 'obcdsl.serverCommand': 'obcdsl-that-is-not-installed' });
  state.answer = "Don't Start the Server";
  extension.activate(context());
  await until(() => state.updates.length > 0);
  assert.deepEqual(state.updates, [{ key: 'obcdsl.serverEnabled', value: false, target: vscode.ConfigurationTarget.Global }]);
});

test('turned off: no server and no message', async () => {
  reset({ 'obcdsl.serverEnabled': false });
  extension.activate(context());
  await settle();
  assert.equal(state.messages.length, 0);
  assert.ok(state.output.some((line) => line.includes('turned off')));
});

test('an obcdsl without `lsp`: one message with what it said and what to do', async () => {
  reset({ 'obcdsl.serverCommand': process.execPath, 'obcdsl.serverArgs': [path.join(FAKE, 'too-old.js')] });
  extension.activate(context());
  await until(() => state.messages.length > 0);
  await settle();
  assert.equal(state.messages.length, 1, JSON.stringify(state.messages));
  const [shown] = state.messages;
  assert.equal(shown.kind, 'warning');
  assert.match(shown.text, /stopped with exit status 2/);
  assert.match(shown.text, /invalid choice: 'lsp'/);
  assert.match(shown.text, /Highlighting still works/);
  assert.match(shown.text, /too old to have a language server/);
  assert.deepEqual(shown.actions, ['Show Output', 'Open Settings']);
});

test('a server that crashes: one message, and it is not restarted', async () => {
  reset({ 'obcdsl.serverCommand': process.execPath, 'obcdsl.serverArgs': [path.join(FAKE, 'crashes.js')] });
  extension.activate(context());
  await until(() => state.messages.length > 0);
  await settle();
  assert.equal(state.messages.length, 1, JSON.stringify(state.messages));
  assert.match(state.messages[0].text, /stopped with exit status 70/);
  assert.match(state.messages[0].text, /RuntimeError: the server broke/);
  assert.equal(state.output.filter((line) => line.includes('starting ')).length, 1);
});

test('a working server: started over stdio, no message; restart and settings changes start it again', async () => {
  reset({ 'obcdsl.serverCommand': process.execPath, 'obcdsl.serverArgs': [path.join(FAKE, 'minimal.js')] });
  extension.activate(context());
  await until(() => state.output.some((line) => line.includes('the language server is running')));
  assert.equal(state.messages.length, 0, JSON.stringify(state.messages));

  await state.commands.get('obcdsl.restartServer')();
  assert.equal(state.output.filter((line) => line.includes('the language server is running')).length, 2);

  state.settings['obcdsl.serverArgs'] = [path.join(FAKE, 'too-old.js')];
  state.configurationListeners.forEach((listener) => listener({ affectsConfiguration: (s) => s === 'obcdsl.serverArgs' }));
  await until(() => state.messages.length > 0);
  await settle();
  assert.equal(state.messages.length, 1, JSON.stringify(state.messages));
  assert.match(state.messages[0].text, /exit status 2/);
});

test('two quick changes of a setting leave one server running, and deactivating stops it', async () => {
  const pids = fs.mkdtempSync(path.join(os.tmpdir(), 'obcdsl-pids-'));
  process.env.OBCDSL_FAKE_PIDS = pids;
  const alive = () =>
    fs.readdirSync(pids).filter((pid) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    });
  const running = () => state.output.filter((line) => line.includes('the language server is running')).length;
  try {
    reset({ 'obcdsl.serverCommand': process.execPath, 'obcdsl.serverArgs': [path.join(FAKE, 'minimal.js')] });
    extension.activate(context());
    await until(() => running() === 1);
    const change = { affectsConfiguration: (s) => s === 'obcdsl.serverCommand' };
    state.configurationListeners.forEach((listener) => listener(change));
    state.configurationListeners.forEach((listener) => listener(change));
    await until(() => running() === 3);
    await until(() => alive().length === 1);
    await extension.deactivate();
    await until(() => alive().length === 0);
    assert.equal(state.messages.length, 0, JSON.stringify(state.messages));
  } finally {
    delete process.env.OBCDSL_FAKE_PIDS;
    fs.rmSync(pids, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- server.js on its own

test('expand: workspace folder, home and ~', () => {
  const places = { workspaceFolder: '/work/contracts', home: '/home/ann' };
  assert.equal(server.expand('${workspaceFolder}/.venv/bin/obcdsl', places), '/work/contracts/.venv/bin/obcdsl');
  assert.equal(server.expand('~/.venv/bin/obcdsl', places), '/home/ann/.venv/bin/obcdsl');
  assert.equal(server.expand('${userHome}\\obc\\obcdsl.exe', places), '/home/ann\\obc\\obcdsl.exe');
  assert.equal(server.expand('  obcdsl ', places), 'obcdsl');
  assert.equal(server.expand('${workspaceFolder}/x', { home: '/h' }), '${workspaceFolder}/x');
});

test('findExecutable: PATH, relative and absolute paths, and not found', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'obcdsl-test-'));
  const program = path.join(folder, 'obcdsl');
  fs.writeFileSync(program, '#!/bin/sh\n');
  fs.chmodSync(program, 0o755);
  const env = { PATH: ['/nowhere', folder].join(path.delimiter) };
  if (process.platform !== 'win32') {
    assert.equal(server.findExecutable('obcdsl', { env }), program);
    assert.equal(server.findExecutable(program, { env: {} }), program);
    assert.equal(server.findExecutable('./obcdsl', { env: {}, cwd: folder }), program);
    fs.chmodSync(program, 0o644);
    assert.equal(server.findExecutable('obcdsl', { env }), null, 'a file that cannot be run is not the program');
  }
  assert.equal(server.findExecutable('obcdsl', { env: { PATH: '/nowhere' } }), null);
  assert.equal(server.findExecutable('${workspaceFolder}/obcdsl', { env }), null);
  fs.rmSync(folder, { recursive: true, force: true });
});

test('findExecutable on Windows: Path and PATHEXT find obcdsl.exe', () => {
  const present = new Set(['C:\\Users\\ann\\obc\\.venv\\Scripts\\obcdsl.exe']);
  const options = {
    platform: 'win32',
    env: { Path: 'C:\\Windows;C:\\Users\\ann\\obc\\.venv\\Scripts', PATHEXT: '.COM;.EXE;.BAT;.CMD' },
    exists: (file) => present.has(file),
  };
  assert.equal(server.findExecutable('obcdsl', options), 'C:\\Users\\ann\\obc\\.venv\\Scripts\\obcdsl.exe');
  assert.equal(
    server.findExecutable('C:\\Users\\ann\\obc\\.venv\\Scripts\\obcdsl', options),
    'C:\\Users\\ann\\obc\\.venv\\Scripts\\obcdsl.exe',
  );
  assert.equal(server.findExecutable('obcdsl.exe', options), 'C:\\Users\\ann\\obc\\.venv\\Scripts\\obcdsl.exe');
  assert.equal(server.findExecutable('python', options), null);
});

test('a command that vanishes between the check and the start is reported as not found', async () => {
  const record = server.newRecord();
  await assert.rejects(server.spawnServer(path.join(os.tmpdir(), 'no-such-obcdsl'), ['lsp'], {}, record));
  assert.equal(record.error.code, 'ENOENT');
  assert.match(server.failureMessage('no-such-obcdsl', ['lsp'], record), /`no-such-obcdsl` was not found/);
});
