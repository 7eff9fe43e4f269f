"""Recognition models on OpenVINO: faces (detect, align, embed) and tags (classify)."""
