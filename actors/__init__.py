"""Ray actors hosting OPTIX state: symbol shards, router, supervisor, alert hub (later issues)."""
