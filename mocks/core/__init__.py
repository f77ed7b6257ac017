"""Provider-neutral machinery shared by every mock and the reference gateway."""
