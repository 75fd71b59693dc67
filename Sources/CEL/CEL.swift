// The CEL layer.
