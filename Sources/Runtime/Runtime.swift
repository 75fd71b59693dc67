// The Runtime layer.
