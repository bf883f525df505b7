"""zoo-scenes: a procedural multi-view scene renderer shared by Zoo plugins (work in progress)."""
