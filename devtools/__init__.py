"""Developer tools: `flask dev up` (everything on the embedded services) and `flask seed demo`."""
