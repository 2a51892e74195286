"""The contract's payment terms as a schedule to sign: Markdown, HTML and Word (`obcdsl render`)."""
