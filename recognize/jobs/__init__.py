"""The job cascade: the only layer that combines store, media, inference and clustering."""
