"""The automation evaluator: one tick evaluates every asset's condition over a definitions
snapshot (or live definitions) and storage, and says what to request and why."""
