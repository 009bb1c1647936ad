"""Built-in connectors. Each module registers its plugins when imported."""
