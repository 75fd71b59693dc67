// The runtime layer: executes compiled flow graphs against event streams.
