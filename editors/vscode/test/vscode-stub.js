'use strict';
// A stand-in for the `vscode` module, so that extension.js and the real
// vscode-languageclient can run under plain node in test/client.test.js.
// What the tests look at is real: settings, messages, the output channel and
// commands. Anything else vscode-languageclient touches is an inert stub.

function inert(name) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(object, property) {
      if (property === 'then' || typeof property === 'symbol') {
        return undefined;
      }
      if (property in object) {
        return object[property];
      }
      if (!cache.has(property)) {
        cache.set(property, inert(`${name}.${String(property)}`));
      }
      return cache.get(property);
    },
    apply() {
      return inert(`${name}()`);
    },
    construct() {
      return inert(`new ${name}`);
    },
  });
}

class Disposable {
  constructor(callback) {
    this.callback = callback;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((item) => item && item.dispose && item.dispose()));
  }
  dispose() {
    if (this.callback) {
      this.callback();
      this.callback = undefined;
    }
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return new Disposable(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      });
    };
  }
  fire(value) {
    this.listeners.slice().forEach((listener) => listener(value));
  }
  dispose() {
    this.listeners = [];
  }
}

class CancellationTokenSource {
  constructor() {
    this.token = { isCancellationRequested: false, onCancellationRequested: () => new Disposable() };
  }
  cancel() {
    this.token.isCancellationRequested = true;
  }
  dispose() {}
}

class Uri {
  constructor(scheme, fsPath) {
    this.scheme = scheme;
    this.fsPath = fsPath;
    this.path = fsPath;
  }
  static file(fsPath) {
    return new Uri('file', fsPath);
  }
  static parse(text) {
    const [scheme, rest] = text.includes(':') ? text.split(/:(.*)/s) : ['file', text];
    return new Uri(scheme, rest.replace(/^\/\//, ''));
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
}

// What a test sets up and then reads back.
const state = {
  settings: {},
  updates: [],
  messages: [],
  executed: [],
  commands: new Map(),
  output: [],
  answer: undefined, // the button a test "clicks" on the next message
  configurationListeners: [],
};

function message(kind) {
  return async (text, ...actions) => {
    state.messages.push({ kind, text, actions: actions.filter((a) => typeof a === 'string') });
    const answer = state.answer;
    state.answer = undefined;
    return answer;
  };
}

const vscode = inert('vscode');
const api = {
  version: '1.90.0',
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  CancellationError: class CancellationError extends Error {},
  Uri,
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  env: { appName: 'Visual Studio Code (test stub)', language: 'en', openExternal: async () => true },
  workspace: new Proxy(
    {
      workspaceFolders: undefined,
      textDocuments: [],
      getConfiguration(section) {
        return {
          get(key, fallback) {
            const full = section ? `${section}.${key}` : key;
            return Object.prototype.hasOwnProperty.call(state.settings, full) ? state.settings[full] : fallback;
          },
          has: () => false,
          inspect: () => undefined,
          async update(key, value, target) {
            state.updates.push({ key: section ? `${section}.${key}` : key, value, target });
          },
        };
      },
      onDidChangeConfiguration(listener) {
        state.configurationListeners.push(listener);
        return new Disposable();
      },
    },
    {
      get(object, property) {
        return property in object ? object[property] : vscode.workspace[property];
      },
    },
  ),
  window: new Proxy(
    {
      showWarningMessage: message('warning'),
      showErrorMessage: message('error'),
      showInformationMessage: message('information'),
      activeTextEditor: undefined,
      createOutputChannel(name) {
        return {
          name,
          append: (text) => state.output.push(String(text)),
          appendLine: (text) => state.output.push(String(text)),
          replace: () => {},
          clear: () => {},
          show: () => {},
          hide: () => {},
          dispose: () => {},
        };
      },
    },
    {
      get(object, property) {
        return property in object ? object[property] : vscode.window[property];
      },
    },
  ),
  commands: {
    registerCommand(name, callback) {
      state.commands.set(name, callback);
      return new Disposable(() => state.commands.delete(name));
    },
    async executeCommand(name, ...args) {
      state.executed.push({ name, args });
    },
  },
  languages: new Proxy(
    { match: () => 0 },
    {
      get(object, property) {
        return property in object ? object[property] : vscode.languages[property];
      },
    },
  ),
  __state: state,
};

module.exports = new Proxy(api, {
  get(object, property) {
    return property in object ? object[property] : vscode[property];
  },
});
