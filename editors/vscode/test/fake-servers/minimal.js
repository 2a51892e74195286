// Stands in for `obcdsl lsp`: the least of the Language Server Protocol over stdio.
let buffer = Buffer.alloc(0);

if (process.env.OBCDSL_FAKE_PIDS) {
  // lets a test see which of these servers are still running
  require('fs').writeFileSync(require('path').join(process.env.OBCDSL_FAKE_PIDS, String(process.pid)), '');
}

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

function handle(message) {
  if (message.method === 'initialize') {
    send({ id: message.id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: 'fake obcdsl' } } });
  } else if (message.method === 'shutdown') {
    send({ id: message.id, result: null });
  } else if (message.method === 'exit') {
    process.exit(0);
  } else if (message.id !== undefined && message.method) {
    send({ id: message.id, error: { code: -32601, message: `no ${message.method} here` } });
  }
}

process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.slice(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const body = buffer.slice(end + 4, end + 4 + length).toString('utf8');
    buffer = buffer.slice(end + 4 + length);
    handle(JSON.parse(body));
  }
});

process.stdin.on('end', () => process.exit(0)); // as a real server does when VS Code goes away
