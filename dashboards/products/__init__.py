"""The products dashboard: best sellers, categories, margin, sell-through and slow movers."""
