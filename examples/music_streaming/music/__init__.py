"""The music-streaming example project."""
