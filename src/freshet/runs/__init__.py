"""What a user asks for when a run goes out of process: launch requests (recorded QUEUED with
their code's origin), the run worker's heartbeat and cancel watch, re-execution plans."""
