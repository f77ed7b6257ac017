"""Mock AI providers speaking their native wire formats, and the reference gateway built on them."""
