// The Flows layer.
