"""Compatibility modules: freshet's public API under the names other tools' users write.
Nothing in freshet imports them; they use only the public API (`import freshet`)."""
