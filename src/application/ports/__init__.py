"""Abstract interfaces the use cases need; adapters in infrastructure implement them."""
