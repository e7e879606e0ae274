"""The daemon: one loop that runs several duties (the run queue, run monitoring; later
automation, schedules, sensors), each recording a heartbeat in the instance. It never imports
a user's code: run workers and code servers do."""
