"""The catalog: categories, brands, products and their variants."""
