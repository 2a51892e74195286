// Stands in for an obcdsl that has no `lsp` command yet: argparse's refusal, exit status 2.
process.stderr.write('usage: obcdsl [-h] [--version] {check,evaluate,simulate,fmt} ...\n');
process.stderr.write("obcdsl: error: argument command: invalid choice: 'lsp' (choose from 'check', 'evaluate', 'simulate', 'fmt')\n");
process.exit(2);
