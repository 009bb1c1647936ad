"""Standalone mode: one long-running process runs every task on the same handlers Lambda runs.

- worker: StandaloneWorker, the connectors' task threads, the state topics and the offsets they own;
- scheduler and scheduled_source: source tasks invoked on their schedule, as EventBridge Scheduler would;
- esm_emulator and inprocess_sink: sink tasks fed by a Kafka event-source-mapping emulator over a real broker;
- backend and service: the connector manager's Apply step and the REST service over the worker.

Nothing in the rest of the library imports this package; `connectless_local` and the CLI do.
"""
