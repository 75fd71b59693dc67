// The Graph layer.
