// Stands in for a language server that starts, then fails before answering.
process.stdin.once('data', () => {
  process.stderr.write('Traceback (most recent call last):\n  ...\nRuntimeError: the server broke\n');
  process.exit(70);
});
