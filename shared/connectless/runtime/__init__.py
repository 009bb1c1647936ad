"""Task runners shared by every mode: the source task runner and its transactions, the sink batch writer,
the sink task context. The loops that drive them live with their mode (lambda_sink, lambda_source, standalone)."""
