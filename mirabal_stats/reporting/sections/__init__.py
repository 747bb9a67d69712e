"""One small function per report section; each takes a pillar's result and returns a Section."""
