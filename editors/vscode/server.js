'use strict';
// Finding and starting `obcdsl lsp`, and saying plainly why it did not start.
// Nothing here needs VS Code, so test/server.test.js runs it under plain node.

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

const HIGHLIGHTING = 'Highlighting still works; only checking as you type is off.';
const STDERR_KEPT = 4000; // characters of the server's error output kept for the message

// `${workspaceFolder}`, `${userHome}` and a leading `~`, as a user would write them in settings.
function expand(text, { workspaceFolder, home } = {}) {
  let out = String(text).trim();
  if (home) {
    out = out.replace(/\$\{userHome\}/g, home);
    if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
      out = home + out.slice(1);
    }
  }
  if (workspaceFolder) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return out;
}

function isExecutableFile(file, platform = process.platform) {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

// The program a command names, as the system would find it, or null.
// A command with a folder in it is a path (relative ones from `cwd`); a bare
// name is looked for on PATH, and on Windows with the extensions of PATHEXT
// (`obcdsl` finds `obcdsl.exe`, which is what pip installs there).
function findExecutable(command, options = {}) {
  const platform = options.platform || process.platform;
  const env = options.env || process.env;
  const exists = options.exists || ((file) => isExecutableFile(file, platform));
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (!command || command.includes('${')) {
    return null;
  }
  let extensions = [''];
  if (platform === 'win32') {
    const known = (env.PATHEXT || '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean).map((e) => e.toLowerCase());
    extensions = known.includes(p.extname(command).toLowerCase()) ? [''] : known;
  }
  const hasFolder = command.includes('/') || (platform === 'win32' && command.includes('\\'));
  let candidates;
  if (hasFolder || p.isAbsolute(command)) {
    candidates = [p.resolve(options.cwd || process.cwd(), command)];
  } else {
    const pathVariable = env.PATH !== undefined ? env.PATH : env.Path || '';
    candidates = pathVariable.split(p.delimiter).filter(Boolean).map((folder) => p.join(folder, command));
  }
  for (const candidate of candidates) {
    for (const extension of extensions) {
      if (exists(candidate + extension)) {
        return candidate + extension;
      }
    }
  }
  return null;
}

function commandLine(command, args) {
  const quote = (part) => (/[\s"]/.test(part) ? JSON.stringify(part) : part);
  return [command, ...args].map(quote).join(' ');
}

// What the server did, for the message if it stops.
function newRecord() {
  return { stderr: '', error: null, startError: null, exited: false, code: null, signal: null, onExit: [] };
}

function waitForExit(record, milliseconds) {
  if (record.exited || record.error) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    record.onExit.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// Start the server; resolves with the child process once it is running, for vscode-languageclient to talk to over stdio.
function spawnServer(command, args, options = {}, record = newRecord()) {
  return new Promise((resolve, reject) => {
    const shell = /\.(cmd|bat)$/i.test(command); // Windows runs these only through cmd.exe
    let child;
    try {
      child = childProcess.spawn(shell ? `"${command}"` : command, args, {
        cwd: options.cwd || undefined,
        env: options.env || process.env,
        stdio: 'pipe',
        shell,
        windowsHide: true,
      });
    } catch (error) {
      record.error = error;
      reject(error);
      return;
    }
    child.stderr.on('data', (chunk) => {
      record.stderr = (record.stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    child.on('exit', (code, signal) => {
      record.exited = true;
      record.code = code;
      record.signal = signal;
      record.onExit.splice(0).forEach((callback) => callback());
    });
    child.once('error', (error) => {
      record.error = error;
      record.onExit.splice(0).forEach((callback) => callback());
      reject(error);
    });
    child.once('spawn', () => resolve(child));
  });
}

function notFoundMessage(command) {
  const named = command.includes('${')
    ? `\`${command}\` (open a folder, or give a full path)`
    : `\`${command}\``;
  return (
    `obcdsl: the language server was not started: ${named} was not found. ${HIGHLIGHTING} ` +
    'Install obcdsl where VS Code can see it (pip install obcdsl, or its wheel), ' +
    'or set obcdsl.serverCommand to the full path of obcdsl, for example in your virtual environment.'
  );
}

function lastLine(text) {
  const lines = String(text).split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  if (lines.length === 0) {
    return '';
  }
  const line = lines[lines.length - 1];
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function failureMessage(command, args, record) {
  if (record.error && record.error.code === 'ENOENT') {
    return notFoundMessage(command);
  }
  const line = commandLine(command, args);
  let what;
  if (record.error) {
    what = `\`${line}\` could not be started (${record.error.message})`;
  } else if (record.exited && record.signal) {
    what = `\`${line}\` was stopped by ${record.signal}`;
  } else if (record.exited) {
    what = `\`${line}\` stopped with exit status ${record.code}`;
  } else if (record.startError) {
    what = `\`${line}\` did not start (${record.startError.message || record.startError})`;
  } else {
    what = `\`${line}\` stopped answering`;
  }
  const said = lastLine(record.stderr);
  let message = `obcdsl: the language server is not running: ${what}.`;
  if (said) {
    message += ` It said: "${said}".`;
  }
  message += ` ${HIGHLIGHTING}`;
  if (/invalid choice|unrecognized arguments|no such command|usage:/i.test(record.stderr)) {
    message += ' This obcdsl may be too old to have a language server: install a newer one, or point obcdsl.serverCommand at one that has.';
  } else {
    message += ' The obcdsl output channel has the details.';
  }
  return message;
}

module.exports = {
  HIGHLIGHTING,
  commandLine,
  expand,
  failureMessage,
  findExecutable,
  isExecutableFile,
  newRecord,
  notFoundMessage,
  spawnServer,
  waitForExit,
};
