"""Run orchestration: checks in flight at once, write gates, recording, interrupts, memory, the embedded target."""
